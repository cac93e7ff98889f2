/* Unit tests for common/ipc: round trips with and without fds, every
 * malformed-record case the reader must refuse, and the IPC_VERSION every
 * header carries. */
#include "check.h"
#include "ipc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static struct ipc_msg m;

static void
pair(int sv[2])
{
	int r = socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	CHECK_EQ(r, 0);
}

static void
test_round_trip(void)
{
	int sv[2];
	pair(sv);
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	ipc_put_u32(&b, 7);
	ipc_put_u64(&b, 1ULL << 40);
	ipc_put_str(&b, "alice");
	ipc_put_bytes(&b, "\0\1\2", 3);
	CHECK_EQ(ipc_send(sv[0], IPC_PING, 99, 0, &b, -1), 0);
	CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_OK);
	CHECK_EQ(m.type, IPC_PING);
	CHECK_EQ(m.reqid, 99);
	CHECK_EQ(m.fd, -1);

	struct buf_cur c;
	uint32_t u;
	uint64_t v;
	char s[16];
	const uint8_t *p;
	size_t n;
	ipc_msg_cursor(&m, &c);
	CHECK_EQ(ipc_get_u32(&c, &u), 0);
	CHECK_EQ(u, 7);
	CHECK_EQ(ipc_get_u64(&c, &v), 0);
	CHECK(v == 1ULL << 40);
	CHECK_EQ(ipc_get_str(&c, s, sizeof(s)), 0);
	CHECK(strcmp(s, "alice") == 0);
	CHECK_EQ(ipc_get_bytes(&c, &p, &n, 16), 0);
	CHECK_EQ(n, 3);
	CHECK_EQ(ipc_get_end(&c), 0);

	/* typed: a u32 read where a string was written fails */
	ipc_msg_cursor(&m, &c);
	CHECK_EQ(ipc_get_u32(&c, &u), 0);
	CHECK_EQ(ipc_get_str(&c, s, sizeof(s)), -1);
	/* leftover bytes fail the end check */
	ipc_msg_cursor(&m, &c);
	ipc_get_u32(&c, &u);
	CHECK_EQ(ipc_get_end(&c), -1);
	/* a string longer than the destination fails, no truncation */
	ipc_msg_cursor(&m, &c);
	ipc_get_u32(&c, &u);
	ipc_get_u64(&c, &v);
	char tiny[5];
	CHECK_EQ(ipc_get_str(&c, tiny, sizeof(tiny)), -1);
	buf_free(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_fd_passing(void)
{
	int sv[2], pfd[2];
	pair(sv);
	CHECK_EQ(pipe(pfd), 0);
	CHECK_EQ(ipc_send_raw(sv[0], IPC_OK, 1, 0, NULL, 0, pfd[0]), 0);
	CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_OK);
	CHECK(m.flags & IPC_F_FD);
	CHECK(m.fd >= 0);
	CHECK_EQ(write(pfd[1], "x", 1), 1);
	char ch = 0;
	CHECK_EQ(read(m.fd, &ch, 1), 1);
	CHECK_EQ(ch, 'x');
	ipc_msg_close_fd(&m);
	CHECK_EQ(m.fd, -1);
	close(pfd[0]);
	close(pfd[1]);
	close(sv[0]);
	close(sv[1]);
}

/* Send a hand-made record (header fields chosen freely, the version
 * included) with nfds fds. */
static void
send_versioned_record(int sock, uint32_t version, uint32_t type, uint32_t len,
    uint32_t flags, size_t payload, int nfds)
{
	uint8_t rec[64] = { 0 };
	uint32_t h[4] = { htonl(type), htonl(len), htonl(1),
		htonl(version << 16 | flags) };
	memcpy(rec, h, sizeof(h));
	struct iovec iov = { rec, IPC_HDR_SIZE + payload };
	union {
		struct cmsghdr a;
		char b[CMSG_SPACE(sizeof(int) * 2)];
	} cm;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[2];
	if (nfds > 0) {
		fds[0] = open("/dev/null", O_RDONLY);
		fds[1] = open("/dev/null", O_RDONLY);
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	CHECK(sendmsg(sock, &mh, 0) >= 0);
	if (nfds > 0) {
		close(fds[0]);
		close(fds[1]);
	}
}

static void
send_raw_record(int sock, uint32_t type, uint32_t len, uint32_t flags,
    size_t payload, int nfds)
{
	send_versioned_record(sock, IPC_VERSION, type, len, flags, payload, nfds);
}

static int
count_open_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 256; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/* A batch of fds (IPC_F_FDS) reaches only a reader that asks for one
 * (ipc_recv_fds); any other reader drops the record and closes every fd,
 * so a peer cannot park descriptors in a process that does not expect
 * them. A batch flag with one fd too many, or none, is malformed. */
static void
test_fd_batch(void)
{
	int sv[2], fds[IPC_MAX_FDS];
	pair(sv);
	for (int i = 0; i < IPC_MAX_FDS; i++)
		CHECK((fds[i] = open("/dev/null", O_RDONLY)) >= 0);
	int before = count_open_fds();
	CHECK_EQ(ipc_send_fds(sv[0], IPC_OK, 1, IPC_F_FDS, "xy", 2, fds,
	    IPC_MAX_FDS), 0);
	CHECK_EQ(ipc_recv_fds(sv[1], &m), IPC_RECV_OK);
	CHECK(m.flags & IPC_F_FDS);
	CHECK_EQ(m.nfds, (unsigned)IPC_MAX_FDS);
	CHECK_EQ(m.fd, -1);
	CHECK_EQ(count_open_fds(), before + IPC_MAX_FDS);
	ipc_msg_close_fd(&m);
	CHECK_EQ(m.nfds, 0u);
	CHECK_EQ(count_open_fds(), before);
	/* the same record to a reader that did not ask: refused, closed */
	CHECK_EQ(ipc_send_fds(sv[0], IPC_OK, 2, IPC_F_FDS, NULL, 0, fds, 3), 0);
	CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_BAD);
	CHECK_EQ(count_open_fds(), before);
	CHECK_EQ(ipc_send_fds(sv[0], IPC_OK, 3, IPC_F_FDS, NULL, 0, fds, 2), 0);
	CHECK_EQ(ipc_recv_nowait(sv[1], &m), IPC_RECV_BAD);
	CHECK_EQ(count_open_fds(), before);
	/* the sender refuses more than a batch */
	CHECK_EQ(ipc_send_fds(sv[0], IPC_OK, 4, IPC_F_FDS, NULL, 0, fds,
	    IPC_MAX_FDS + 1), -1);
	/* hand-made: the batch flag with no fd, or with the one-fd flag */
	send_raw_record(sv[0], IPC_OK, 0, IPC_F_FDS, 0, 0);
	CHECK_EQ(ipc_recv_fds(sv[1], &m), IPC_RECV_BAD);
	send_raw_record(sv[0], IPC_OK, 0, IPC_F_FDS | IPC_F_FD, 0, 1);
	CHECK_EQ(ipc_recv_fds(sv[1], &m), IPC_RECV_BAD);
	CHECK_EQ(count_open_fds(), before);
	/* a single fd still comes as m.fd to the batch reader */
	CHECK_EQ(ipc_send_raw(sv[0], IPC_OK, 5, 0, NULL, 0, fds[0]), 0);
	CHECK_EQ(ipc_recv_fds(sv[1], &m), IPC_RECV_OK);
	CHECK(m.fd >= 0 && m.nfds == 0);
	ipc_msg_close_fd(&m);
	for (int i = 0; i < IPC_MAX_FDS; i++)
		close(fds[i]);
	close(sv[0]);
	close(sv[1]);
}

static void
test_malformed(void)
{
	int sv[2];
	pair(sv);
	int before = count_open_fds();

	send_raw_record(sv[0], IPC_PING, 8, 0, 4, 0);      /* length lies */
	CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_BAD);
	send_raw_record(sv[0], IPC_PING, 0, 0x80, 0, 0);   /* unknown flag */
	CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_BAD);
	send_raw_record(sv[0], IPC_PING, 0, 0, 0, 1);      /* unannounced fd */
	CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_BAD);
	send_raw_record(sv[0], IPC_PING, 0, IPC_F_FD, 0, 2); /* two fds */
	CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_BAD);
	send_raw_record(sv[0], IPC_PING, 0, IPC_F_FD, 0, 0); /* announced, none */
	CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_BAD);
	CHECK(send(sv[0], "abc", 3, 0) == 3);               /* short header */
	CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_BAD);
	/* every fd that came with a bad record was closed */
	CHECK_EQ(count_open_fds(), before);

	/* the channel still works after garbage */
	CHECK_EQ(ipc_send_raw(sv[0], IPC_PONG, 5, 0, NULL, 0, -1), 0);
	CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_OK);
	CHECK_EQ(m.type, IPC_PONG);

	/* payload limits on the writer */
	static uint8_t big[IPC_MAX_PAYLOAD + 1];
	CHECK_EQ(ipc_send_raw(sv[0], IPC_PING, 1, 0, big, sizeof(big), -1), -1);
	struct buf b = BUF_INIT(64);
	CHECK_EQ(ipc_put_strn(&b, "a\0b", 3), -1);          /* NUL in string */
	CHECK_EQ(ipc_send(sv[0], IPC_PING, 1, 0, &b, -1), -1); /* failed buf */
	buf_free(&b);

	close(sv[0]);
	CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_EOF);
	close(sv[1]);
}

/* Every record carries IPC_VERSION in the high half of its last header
 * word; a record of any other version is refused before anything else in
 * it is believed, with its fds closed and the peer's version kept for the
 * log line. */
static void
test_version(void)
{
	int sv[2];
	pair(sv);
	int before = count_open_fds();

	/* the writer stamps it */
	CHECK_EQ(ipc_send_raw(sv[0], IPC_PING, 1, IPC_F_MORE, NULL, 0, -1), 0);
	uint8_t rec[IPC_HDR_SIZE];
	CHECK(recv(sv[1], rec, sizeof(rec), 0) == IPC_HDR_SIZE);
	CHECK_EQ(rec[12] << 8 | rec[13], IPC_VERSION);
	CHECK_EQ(rec[14] << 8 | rec[15], IPC_F_MORE);

	/* the next version, the previous one, and none at all: refused */
	const uint32_t others[] = { IPC_VERSION + 1, IPC_VERSION - 1, 0 };
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		send_versioned_record(sv[0], others[i], IPC_PING, 0, 0, 0, 0);
		CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_VERSION);
		CHECK_EQ(m.version, others[i]);
	}
	/* with an fd: closed all the same */
	send_versioned_record(sv[0], IPC_VERSION + 1, IPC_OK, 0, IPC_F_FD, 0, 1);
	CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_VERSION);
	CHECK_EQ(m.fd, -1);
	CHECK_EQ(count_open_fds(), before);
	/* version first: an otherwise malformed record of another version
	 * is reported as the version mismatch, the clearer cause */
	send_versioned_record(sv[0], IPC_VERSION + 1, IPC_PING, 9, 0x80, 0, 0);
	CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_VERSION);

	/* the log line names both versions */
	char why[64], want[64];
	snprintf(want, sizeof(want), "IPC version %u from peer, expected %u",
	    IPC_VERSION + 1, IPC_VERSION);
	send_versioned_record(sv[0], IPC_VERSION + 1, IPC_PING, 0, 0, 0, 0);
	enum ipc_recv_result r = ipc_recv(sv[1], &m);
	CHECK(strcmp(ipc_recv_strerror(r, &m, why, sizeof(why)), want) == 0);
	CHECK(strcmp(ipc_recv_strerror(IPC_RECV_BAD, &m, why, sizeof(why)),
	    "malformed record") == 0);

	/* the same record with this version is served */
	send_versioned_record(sv[0], IPC_VERSION, IPC_PING, 0, 0, 0, 0);
	CHECK_EQ(ipc_recv(sv[1], &m), IPC_RECV_OK);
	CHECK_EQ(m.version, IPC_VERSION);
	CHECK_EQ(m.type, IPC_PING);

	/* the parser alone (the fuzz targets' entry) says which it was */
	memset(m.raw, 0, IPC_HDR_SIZE);
	m.raw[3] = IPC_PING;
	m.raw[13] = IPC_VERSION + 1;
	CHECK_EQ(ipc_parse_record(&m, IPC_HDR_SIZE, 0), IPC_PARSE_VERSION);
	m.raw[13] = IPC_VERSION;
	CHECK_EQ(ipc_parse_record(&m, IPC_HDR_SIZE, 0), 0);
	m.raw[15] = 0x80;
	CHECK_EQ(ipc_parse_record(&m, IPC_HDR_SIZE, 0), IPC_PARSE_BAD);
	close(sv[0]);
	close(sv[1]);
}

/* CTL_READY and CTL_LOGGED_IN are compared byte for byte by the
 * supervisor: the version is part of what is compared. */
static void
test_fixed_records(void)
{
	int sv[2];
	pair(sv);
	uint8_t rec[IPC_HDR_SIZE + 8];
	uint64_t inst = 0;

	CHECK_EQ(ipc_send_ready(sv[0]), 0);
	CHECK(recv(sv[1], rec, sizeof(rec), 0) == IPC_HDR_SIZE);
	CHECK(ipc_is_ready(rec, IPC_HDR_SIZE));
	CHECK_EQ(ipc_ready_version(rec, IPC_HDR_SIZE), IPC_VERSION);
	CHECK_EQ(ipc_ready_version(rec, IPC_HDR_SIZE - 1), -1);
	rec[13] ^= 1;
	CHECK(!ipc_is_ready(rec, IPC_HDR_SIZE));
	CHECK_EQ(ipc_ready_version(rec, IPC_HDR_SIZE), IPC_VERSION ^ 1);
	rec[15] = IPC_F_MORE;   /* not a CTL_READY of any version */
	CHECK_EQ(ipc_ready_version(rec, IPC_HDR_SIZE), -1);

	const uint8_t *user;
	size_t ulen;
	uint8_t lrec[IPC_LOGGED_IN_MAX + 1];
	CHECK_EQ(ipc_send_logged_in(sv[0], 0x0102030405060708ULL, "bob"), 0);
	ssize_t got = recv(sv[1], lrec, sizeof(lrec), 0);
	CHECK(got == IPC_HDR_SIZE + 9 + 3);
	CHECK(ipc_is_logged_in(lrec, (size_t)got, &inst, &user, &ulen));
	CHECK(inst == 0x0102030405060708ULL);
	CHECK(ulen == 3 && memcmp(user, "bob", 3) == 0);
	/* a length byte that disagrees with the record, either way */
	lrec[IPC_HDR_SIZE + 8] = 4;
	CHECK(!ipc_is_logged_in(lrec, (size_t)got, &inst, &user, &ulen));
	lrec[IPC_HDR_SIZE + 8] = 2;
	CHECK(!ipc_is_logged_in(lrec, (size_t)got, &inst, &user, &ulen));
	lrec[IPC_HDR_SIZE + 8] = 3;
	CHECK(!ipc_is_logged_in(lrec, (size_t)got - 1, &inst, &user, &ulen));
	lrec[12] ^= 1;
	CHECK(!ipc_is_logged_in(lrec, (size_t)got, &inst, &user, &ulen));
	char big[IPC_LOGGED_IN_USER_MAX + 2];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ(ipc_send_logged_in(sv[0], 1, big), -1);
	close(sv[0]);
	close(sv[1]);
}

static void
test_names(void)
{
	CHECK(strcmp(ipc_type_name(IPC_PING), "ping") == 0);
	CHECK_EQ(ipc_type_by_name("pong"), IPC_PONG);
	CHECK_EQ(ipc_type_by_name("nonsense"), IPC_NONE);
	CHECK(ipc_type_name(0xffff) == NULL);
}

/* ipc_recv_nowait never blocks, even on a blocking socket (the store
 * channel is one): AGAIN when empty, each queued record in order, then
 * AGAIN again; EOF once the peer is gone. */
static void
test_nowait(void)
{
	int sv[2];
	pair(sv);
	struct buf b = BUF_INIT(64);
	CHECK_EQ(ipc_recv_nowait(sv[1], &m), IPC_RECV_AGAIN);
	CHECK_EQ(ipc_send(sv[0], IPC_PING, 1, 0, &b, -1), 0);
	CHECK_EQ(ipc_send(sv[0], IPC_PING, 2, 0, &b, -1), 0);
	CHECK_EQ(ipc_recv_nowait(sv[1], &m), IPC_RECV_OK);
	CHECK_EQ(m.reqid, 1);
	CHECK_EQ(ipc_recv_nowait(sv[1], &m), IPC_RECV_OK);
	CHECK_EQ(m.reqid, 2);
	CHECK_EQ(ipc_recv_nowait(sv[1], &m), IPC_RECV_AGAIN);
	close(sv[0]);
	CHECK_EQ(ipc_recv_nowait(sv[1], &m), IPC_RECV_EOF);
	close(sv[1]);
	buf_free(&b);
}

int
main(void)
{
	test_round_trip();
	test_nowait();
	test_fd_passing();
	test_malformed();
	test_fd_batch();
	test_version();
	test_fixed_records();
	test_names();
	return check_done("test_ipc");
}
