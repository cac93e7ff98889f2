/* Unit tests for common/worker: the one CTL_CONN decoder refuses every
 * record that is not exactly the supervisor's, the role -> fd table keeps
 * what cloisterd gives each role and nothing else, and a worker refuses to
 * start as a service of another role. */
#include "check.h"
#include "ipc.h"
#include "worker.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct ipc_msg m;
static int sv[2];

/* Send a CTL_CONN-typed record (fd: attached unless -1) and receive it. */
static void
round_trip(uint32_t type, const struct buf *b, int fd)
{
	CHECK_EQ(ipc_send(sv[0], type, 0, 0, b, fd), 0);
	CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_OK);
}

/* payload: u32 listener, bytes peer (plen), bytes local (llen), extra */
static void
conn_payload(struct buf *b, uint32_t li, size_t plen, size_t llen,
    bool extra)
{
	static uint8_t addr[sizeof(struct sockaddr_storage) + 8];
	memset(addr, 0, sizeof(addr));
	addr[0] = AF_INET;   /* ss_family, little-endian host */
	buf_reset(b);
	ipc_put_u32(b, li);
	ipc_put_bytes(b, addr, plen);
	ipc_put_bytes(b, addr, llen);
	if (extra)
		ipc_put_u32(b, 0);
}

/* Decode what arrives; closes the received fd either way. */
static int
decode(size_t nlisteners, struct worker_conn *c)
{
	int rc = worker_conn_decode(&m, nlisteners, c);
	if (m.fd >= 0)
		close(m.fd);
	return rc;
}

static void
test_conn_decoder(void)
{
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	struct worker_conn c;
	const size_t ss = sizeof(struct sockaddr_storage);
	int client = dup(0);
	CHECK(client >= 0);

	/* the supervisor's record: accepted, every field out */
	conn_payload(&b, 1, 16, ss, false);
	round_trip(IPC_CTL_CONN, &b, client);
	CHECK_EQ(decode(2, &c), 0);
	CHECK_EQ(c.listener, 1);
	CHECK_EQ(c.peerlen, 16);
	CHECK_EQ(c.locallen, ss);
	CHECK_EQ(c.peer.ss_family, AF_INET);
	CHECK(c.fd >= 0);
	/* an unknown local address (getsockname failed) is allowed */
	conn_payload(&b, 0, 16, 0, false);
	round_trip(IPC_CTL_CONN, &b, client);
	CHECK_EQ(decode(1, &c), 0);
	CHECK_EQ(c.locallen, 0);

	/* oversized addresses: one byte over a sockaddr_storage */
	conn_payload(&b, 0, ss + 1, 16, false);
	round_trip(IPC_CTL_CONN, &b, client);
	CHECK_EQ(decode(1, &c), -1);
	CHECK_EQ(c.fd, -1);
	conn_payload(&b, 0, 16, ss + 1, false);
	round_trip(IPC_CTL_CONN, &b, client);
	CHECK_EQ(decode(1, &c), -1);
	/* extra bytes after the local address */
	conn_payload(&b, 0, 16, 16, true);
	round_trip(IPC_CTL_CONN, &b, client);
	CHECK_EQ(decode(1, &c), -1);
	/* short: the listener alone, then a cut local address */
	buf_reset(&b);
	ipc_put_u32(&b, 0);
	round_trip(IPC_CTL_CONN, &b, client);
	CHECK_EQ(decode(1, &c), -1);
	conn_payload(&b, 0, 16, 16, false);
	b.len -= 3;
	round_trip(IPC_CTL_CONN, &b, client);
	CHECK_EQ(decode(1, &c), -1);
	/* a listener index the service does not have */
	conn_payload(&b, 2, 16, 16, false);
	round_trip(IPC_CTL_CONN, &b, client);
	CHECK_EQ(decode(2, &c), -1);
	/* no socket attached */
	conn_payload(&b, 0, 16, 16, false);
	round_trip(IPC_CTL_CONN, &b, -1);
	CHECK_EQ(decode(1, &c), -1);
	/* another control record with the same payload and an fd */
	conn_payload(&b, 0, 16, 16, false);
	round_trip(IPC_CTL_PEER, &b, client);
	CHECK_EQ(decode(1, &c), -1);

	close(client);
	buf_free(&b);
}

static bool
has(const int *keep, size_t n, int fd)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

static void
test_role_table(void)
{
	const enum config_role roles[] = { ROLE_CONNECTION, ROLE_AUTH,
		ROLE_STORE, ROLE_STATS, ROLE_KEY };
	const unsigned every = WORKER_FD_LOG | WORKER_FD_STATS |
	    WORKER_FD_CONTROL;
	for (size_t r = 0; r < sizeof(roles) / sizeof(roles[0]); r++) {
		unsigned f = worker_role_fds(roles[r]);
		/* every role: its log, its stats fd, its control channel */
		CHECK_EQ(f & every, every);
		/* only the stats role holds listeners and the aggregate pipe
		 * (a connection worker gets accepted sockets, never a listener) */
		CHECK_EQ((f & (WORKER_FD_LISTEN | WORKER_FD_EXTRA)) != 0,
		    roles[r] == ROLE_STATS);
		/* only connection workers hold channels to authd and stored;
		 * authd and stored get their peers as CTL_PEER */
		CHECK_EQ((f & (WORKER_FD_AUTH | WORKER_FD_STORE |
		    WORKER_FD_KEYD)) != 0, roles[r] == ROLE_CONNECTION);
	}
	CHECK_EQ(worker_role_fds(ROLE_AUTH), every);
	CHECK_EQ(worker_role_fds(ROLE_KEY), every);
	CHECK_EQ(worker_role_fds(ROLE_STORE), every);

	/* the numbers: a connection worker with 3 shards and authd */
	struct worker w;
	int keep[WORKER_KEEP_MAX];
	memset(&w, 0, sizeof(w));
	w.role = ROLE_CONNECTION;
	w.store_shards = 3;
	w.nlisteners = 2;
	w.auth = true;
	size_t n = worker_keep_fds(&w, keep);
	CHECK_EQ(n, 7);
	CHECK(has(keep, n, CLOISTER_FD_LOG) && has(keep, n, CLOISTER_FD_STATS) &&
	    has(keep, n, CLOISTER_FD_CONTROL) && has(keep, n, CLOISTER_FD_AUTH));
	CHECK(has(keep, n, CLOISTER_FD_STORE(0)) &&
	    has(keep, n, CLOISTER_FD_STORE(2)));
	CHECK(!has(keep, n, CLOISTER_FD_STORE(3)));
	CHECK(!has(keep, n, CLOISTER_FD_LISTEN(0)));
	CHECK(!has(keep, n, CLOISTER_FD_EXTRA));
	/* without 'set auth yes' there is no authd channel to keep */
	w.auth = false;
	n = worker_keep_fds(&w, keep);
	CHECK_EQ(n, 6);
	CHECK(!has(keep, n, CLOISTER_FD_AUTH));
	CHECK(!has(keep, n, CLOISTER_FD_KEYD));
	/* 'set keyd yes': the keyd channel too */
	w.keyd = true;
	n = worker_keep_fds(&w, keep);
	CHECK_EQ(n, 7);
	CHECK(has(keep, n, CLOISTER_FD_KEYD));
	w.keyd = false;

	/* the stats role: its listeners and the aggregate pipe, no store */
	w.role = ROLE_STATS;
	w.auth = true;
	n = worker_keep_fds(&w, keep);
	CHECK_EQ(n, 6);
	CHECK(has(keep, n, CLOISTER_FD_EXTRA));
	CHECK(has(keep, n, CLOISTER_FD_LISTEN(0)) &&
	    has(keep, n, CLOISTER_FD_LISTEN(1)));
	CHECK(!has(keep, n, CLOISTER_FD_LISTEN(2)));
	CHECK(!has(keep, n, CLOISTER_FD_STORE(0)) &&
	    !has(keep, n, CLOISTER_FD_AUTH));

	/* authd and stored: the three every process has, nothing else */
	w.role = ROLE_STORE;
	CHECK_EQ(worker_keep_fds(&w, keep), 3);
	w.role = ROLE_AUTH;
	CHECK_EQ(worker_keep_fds(&w, keep), 3);
	/* keyd: no channel of a worker's, whatever the flags say */
	w.role = ROLE_KEY;
	w.keyd = true;
	CHECK_EQ(worker_keep_fds(&w, keep), 3);
}

static const char config_text[] =
	"policy-dir /tmp\n"
	"store-shards 2\n"
	"service imapd {\n"
	"  role connection\n"
	"  binary /bin/true\n"
	"  policy /dev/null\n"
	"  listen imap tcp 127.0.0.1:1143 plain\n"
	"  set auth yes\n"
	"}\n"
	"service stored {\n"
	"  role store\n"
	"  binary /bin/true\n"
	"  policy /dev/null\n"
	"}\n";

/* worker_start in a child (it dies on a refusal): its exit status. The
 * child exits 0 only if what worker_start kept is what the config says
 * and the environment is the fixed one. */
static int
start_as(const char *path, const char *service, enum config_role role,
    const char *shard)
{
	pid_t pid = fork();
	if (pid == 0) {
		static struct config cfg;
		const struct config_service *svc;
		struct worker w;
		char *argv[] = { "test_worker", "--config", (char *)path,
			"--service", (char *)service, "--instance", "7",
			shard ? "--shard" : NULL, (char *)shard, NULL };
		int argc = shard ? 9 : 7;
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		close(CLOISTER_FD_LOG);   /* the log goes to stderr */
		setenv("CLOISTER_JUNK", "leaked", 1);
		worker_start(&w, argc, argv, "test-worker", role, &cfg, &svc);
		bool ok = w.role == role && strcmp(w.service, service) == 0 &&
		    w.store_shards == 2 && getenv("CLOISTER_JUNK") == NULL &&
		    getenv("LANG") != NULL && strcmp(getenv("LANG"), "C") == 0 &&
		    (role != ROLE_CONNECTION || (w.auth && w.nlisteners == 1));
		_exit(ok ? 0 : 2);
	}
	int st = -1;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_start_checks_the_role(void)
{
	char path[] = "/tmp/test_worker.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, config_text, sizeof(config_text) - 1),
	    (ssize_t)sizeof(config_text) - 1);
	close(fd);
	CHECK_EQ(start_as(path, "imapd", ROLE_CONNECTION, NULL), 0);
	CHECK_EQ(start_as(path, "stored", ROLE_STORE, "1"), 0);
	/* a binary named as another role's service refuses to start */
	CHECK_EQ(start_as(path, "imapd", ROLE_STORE, NULL), 1);
	CHECK_EQ(start_as(path, "stored", ROLE_CONNECTION, NULL), 1);
	CHECK_EQ(start_as(path, "imapd", ROLE_AUTH, NULL), 1);
	/* a shard the config does not have */
	CHECK_EQ(start_as(path, "stored", ROLE_STORE, "2"), 1);
	unlink(path);
}

int
main(void)
{
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	test_conn_decoder();
	test_role_table();
	test_start_checks_the_role();
	return check_done("worker");
}
