/* Unit tests for workers/auth/auth_client: a scripted fake authd on the
 * other end of a socketpair answers each request; the client must decode
 * good replies and turn every protocol fault (wrong request id, wrong type,
 * trailing bytes, an fd, EOF) into AUTH_ST_ERROR, sticky. */
#include "check.h"
#include "auth_client.h"
#include "log.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum script {
	S_MECHS,           /* good mechs reply */
	S_CHALLENGE,       /* challenge "hello" then success with final data */
	S_FAILURE,
	S_WRONG_REQID,
	S_WRONG_TYPE,
	S_TRAILING,
	S_WITH_FD,
	S_EOF,
	S_BAD_MECHNAME,
};

/* The fake authd: read one request, check it, answer per the script. */
static void
fake_authd(int s, enum script sc)
{
	static struct ipc_msg m;
	for (;;) {
		if (ipc_recv(s, &m) != IPC_RECV_OK)
			_exit(0);
		struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
		uint32_t type = 0;
		uint32_t reqid = m.reqid;
		int fd = -1;
		struct buf_cur c;
		ipc_msg_cursor(&m, &c);
		switch (sc) {
		case S_MECHS:
		case S_BAD_MECHNAME:
			if (m.type != IPC_AUTH_MECHS || m.len != 0)
				_exit(3);
			type = IPC_AUTH_MECHS;
			ipc_put_u32(&b, 2);
			ipc_put_str(&b, "PLAIN");
			ipc_put_u32(&b, AUTH_MECH_PLAINTEXT);
			ipc_put_str(&b, sc == S_MECHS ? "SCRAM-SHA-256" : "bad mech");
			ipc_put_u32(&b, 0);
			break;
		case S_CHALLENGE: {
			const char *mech;
			size_t n;
			if (m.type == IPC_AUTH_START) {
				/* START without initial response, mech upper-cased */
				if (ipc_get_strp(&c, &mech, &n, 20) < 0 || n != 5 ||
				    memcmp(mech, "PLAIN", 5) != 0 || ipc_get_end(&c) < 0)
					_exit(4);
				type = IPC_AUTH_CHALLENGE;
				ipc_put_bytes(&b, "hello", 5);
			} else {
				const uint8_t *p;
				if (m.type != IPC_AUTH_STEP ||
				    ipc_get_bytes(&c, &p, &n, 100) < 0 || n != 3 ||
				    memcmp(p, "abc", 3) != 0 || ipc_get_end(&c) < 0)
					_exit(5);
				type = IPC_AUTH_SUCCESS;
				ipc_put_str(&b, "alice");
				ipc_put_bytes(&b, "TICKET", 6);
				ipc_put_u64(&b, 12345);
				ipc_put_bytes(&b, "v=sig", 5);
			}
			break;
		}
		case S_FAILURE:
			type = IPC_AUTH_FAILURE;
			ipc_put_u32(&b, AUTH_FAIL_CREDENTIALS);
			ipc_put_str(&b, "authentication failed");
			break;
		case S_WRONG_REQID:
			type = IPC_AUTH_FAILURE;
			reqid++;
			ipc_put_u32(&b, AUTH_FAIL_CREDENTIALS);
			ipc_put_str(&b, "x");
			break;
		case S_WRONG_TYPE:
			type = IPC_PONG;
			break;
		case S_TRAILING:
			type = IPC_AUTH_FAILURE;
			ipc_put_u32(&b, AUTH_FAIL_CREDENTIALS);
			ipc_put_str(&b, "x");
			ipc_put_u32(&b, 9);
			break;
		case S_WITH_FD:
			type = IPC_AUTH_FAILURE;
			ipc_put_u32(&b, AUTH_FAIL_CREDENTIALS);
			ipc_put_str(&b, "x");
			fd = 0;
			break;
		case S_EOF:
			_exit(0);
		}
		if (ipc_send(s, type, reqid, 0, &b, fd) < 0)
			_exit(6);
		buf_free(&b);
	}
}

static pid_t
start(enum script sc, struct auth_client *ac)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		fake_authd(sv[1], sc);
		_exit(0);
	}
	close(sv[1]);
	auth_client_init(ac, sv[0]);
	return pid;
}

static void
stop(pid_t pid, struct auth_client *ac)
{
	close(ac->fd);
	auth_client_close(ac);
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
test_mechs(void)
{
	struct auth_client ac;
	pid_t pid = start(S_MECHS, &ac);
	const struct auth_mech *m;
	size_t n = 0;
	CHECK_EQ(auth_client_mechs(&ac, &m, &n), 0);
	CHECK_EQ(n, 2);
	CHECK(strcmp(m[0].name, "PLAIN") == 0);
	CHECK_EQ(m[0].flags, AUTH_MECH_PLAINTEXT);
	CHECK(strcmp(m[1].name, "SCRAM-SHA-256") == 0);
	/* cached: no second round trip, and lookup is case-insensitive */
	CHECK(auth_client_find_mech(&ac, "scram-sha-256") == &m[1]);
	CHECK(auth_client_find_mech(&ac, "LOGIN") == NULL);
	stop(pid, &ac);

	pid = start(S_BAD_MECHNAME, &ac);
	CHECK_EQ(auth_client_mechs(&ac, &m, &n), -1);
	CHECK(ac.broken);
	stop(pid, &ac);
}

static void
test_exchange(void)
{
	struct auth_client ac;
	struct auth_reply r;
	pid_t pid = start(S_CHALLENGE, &ac);
	CHECK_EQ(auth_client_start(&ac, "plain", NULL, 0, &r), AUTH_ST_CHALLENGE);
	CHECK_EQ(r.data_len, 5);
	CHECK(memcmp(r.data, "hello", 5) == 0);
	CHECK_EQ(auth_client_step(&ac, "abc", 3, &r), AUTH_ST_SUCCESS);
	CHECK(strcmp(r.user, "alice") == 0);
	CHECK_EQ(r.ticket_len, 6);
	CHECK(memcmp(r.ticket, "TICKET", 6) == 0);
	CHECK_EQ(r.expiry, 12345);
	CHECK(r.has_data && r.data_len == 5 && memcmp(r.data, "v=sig", 5) == 0);
	auth_reply_wipe(&r);
	CHECK_EQ(r.ticket[0], 0);
	stop(pid, &ac);

	pid = start(S_FAILURE, &ac);
	CHECK_EQ(auth_client_start(&ac, "PLAIN", "", 0, &r), AUTH_ST_FAILURE);
	CHECK_EQ(r.reason, AUTH_FAIL_CREDENTIALS);
	CHECK(strcmp(r.text, "authentication failed") == 0);
	CHECK(strcmp(auth_fail_name(r.reason), "credentials") == 0);
	/* a failure is not a fault: the channel goes on */
	CHECK_EQ(auth_client_start(&ac, "PLAIN", "x", 1, &r), AUTH_ST_FAILURE);
	/* local refusals need no round trip */
	CHECK_EQ(auth_client_start(&ac, "NOT A MECH", NULL, 0, &r), AUTH_ST_FAILURE);
	CHECK_EQ(r.reason, AUTH_FAIL_MECH);
	CHECK_EQ(auth_client_start(&ac, "PLAIN-IS-MUCH-TOO-LONG", NULL, 0, &r),
	    AUTH_ST_FAILURE);
	static uint8_t big[AUTH_DATA_MAX + 1];
	CHECK_EQ(auth_client_step(&ac, big, sizeof(big), &r), AUTH_ST_FAILURE);
	CHECK_EQ(r.reason, AUTH_FAIL_PROTOCOL);
	stop(pid, &ac);
}

static void
test_faults(void)
{
	const enum script bad[] = {
		S_WRONG_REQID, S_WRONG_TYPE, S_TRAILING, S_WITH_FD, S_EOF,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct auth_client ac;
		struct auth_reply r;
		pid_t pid = start(bad[i], &ac);
		CHECK_EQ(auth_client_start(&ac, "PLAIN", "x", 1, &r), AUTH_ST_ERROR);
		CHECK(ac.broken);
		/* sticky: no more requests go out */
		CHECK_EQ(auth_client_step(&ac, "y", 1, &r), AUTH_ST_ERROR);
		/* the fd that came with S_WITH_FD was closed, not leaked */
		stop(pid, &ac);
	}
	/* no fd leaked by the S_WITH_FD case: the next fd is low */
	int fd = open("/dev/null", O_RDONLY);
	CHECK(fd < 8);
	close(fd);
}

int
main(void)
{
	log_open("test_auth_client", true);
	test_mechs();
	test_exchange();
	test_faults();
	return check_done("auth_client");
}
