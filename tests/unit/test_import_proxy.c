/* Unit tests for cloisterctl import's proxy (ctl/import_proxy.c): the
 * reader child, which parses mail from the network, reaches the store's
 * admin channel only with the migration requests that name the user being
 * imported. Checked on the decision (import_proxy_allows) and on the
 * running proxy between two socketpairs: a refused request gets an error
 * and never reaches the store; an allowed one is relayed with its reply. */
#include "check.h"
#include "import.h"
#include "ipc.h"

#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static struct ipc_msg m;

/* A record as the proxy would receive it. */
static bool
allows(uint32_t type, const char *user, uint32_t flags)
{
	int sp[2];
	struct buf b = BUF_INIT(4096);
	if (user != NULL)
		ipc_put_str(&b, user);
	ipc_put_u32(&b, 0);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0)
		return false;
	ipc_send(sp[0], type, 1, flags, &b, -1);
	bool ok = ipc_recv(sp[1], &m) == IPC_RECV_OK &&
	    import_proxy_allows(&m, "alice");
	close(sp[0]);
	close(sp[1]);
	buf_free(&b);
	return ok;
}

static void
test_decision(void)
{
	CHECK(allows(IPC_STORE_ADM_IMPORT_MBOX, "alice", 0));
	CHECK(allows(IPC_STORE_ADM_IMPORT_APPEND, "alice", 0));
	CHECK(allows(IPC_STORE_ADM_MSG_LIST, "alice", 0));
	/* another user, a prefix of the name, no user at all */
	CHECK(!allows(IPC_STORE_ADM_IMPORT_MBOX, "bob", 0));
	CHECK(!allows(IPC_STORE_ADM_IMPORT_MBOX, "alic", 0));
	CHECK(!allows(IPC_STORE_ADM_IMPORT_MBOX, "alice2", 0));
	CHECK(!allows(IPC_STORE_ADM_MSG_LIST, NULL, 0));
	/* anything else the admin channel may do */
	static const uint32_t other[] = { IPC_STORE_ADM_BODY,
		IPC_STORE_ADM_USER_CREATE, IPC_STORE_ADM_USER_DELETE,
		IPC_STORE_ADM_USER_LIST, IPC_STORE_ADM_MBOX_DELETE,
		IPC_STORE_ADM_MBOX_RENAME, IPC_STORE_ADM_QUOTA_SET,
		IPC_STORE_ADM_FREEZE, IPC_STORE_ADM_MBOX_DETAIL, IPC_STORE_FETCH,
		IPC_PING };
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		CHECK(!allows(other[i], "alice", 0));
	/* a request is one record */
	CHECK(!allows(IPC_STORE_ADM_MSG_LIST, "alice", IPC_F_MORE));
}

static void
test_running(void)
{
	int child[2], store[2];
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, child) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, store) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(child[1]);
		close(store[1]);
		_exit(import_proxy_run(child[0], store[0], "alice") == 0 ? 0 : 1);
	}
	close(child[0]);
	close(store[0]);
	/* a proxy that forwards what it must not waits for the store's
	 * reply: fail then, do not hang */
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(child[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(store[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct buf b = BUF_INIT(4096);
	ipc_put_str(&b, "alice");
	/* refused: the child hears why, the store hears nothing */
	ipc_send(child[1], IPC_STORE_ADM_USER_DELETE, 7, 0, &b, -1);
	CHECK(ipc_recv(child[1], &m) == IPC_RECV_OK);
	CHECK(m.type == IPC_ERROR && m.reqid == 7);
	CHECK(ipc_recv_nowait(store[1], &m) == IPC_RECV_AGAIN);
	/* relayed, with a two-record reply */
	ipc_send(child[1], IPC_STORE_ADM_MSG_LIST, 8, 0, &b, -1);
	CHECK(ipc_recv(store[1], &m) == IPC_RECV_OK);
	CHECK(m.type == IPC_STORE_ADM_MSG_LIST && m.reqid == 8);
	buf_reset(&b);
	ipc_put_u32(&b, 0);
	ipc_send(store[1], IPC_STORE_NOTIFY, 0, 0, &b, -1);  /* not its reply */
	ipc_send(store[1], IPC_OK, 8, IPC_F_MORE, &b, -1);
	ipc_send(store[1], IPC_OK, 8, 0, &b, -1);
	CHECK(ipc_recv(child[1], &m) == IPC_RECV_OK);
	CHECK(m.type == IPC_OK && m.reqid == 8 && (m.flags & IPC_F_MORE));
	CHECK(ipc_recv(child[1], &m) == IPC_RECV_OK);
	CHECK(m.type == IPC_OK && m.reqid == 8 && !(m.flags & IPC_F_MORE));
	close(child[1]);
	close(store[1]);
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	buf_free(&b);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_decision();
	test_running();
	return check_done("import_proxy");
}
