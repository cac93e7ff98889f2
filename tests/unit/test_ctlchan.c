/* Unit tests for common/ctlchan: the one rule for the supervisor's control
 * channel. Each record decodes; every malformed variant (short, wrong kind,
 * out of range, trailing bytes, a stray or missing fd, a flag the daemon
 * does not take) is refused; and the order: CTL_KEY first and once,
 * CTL_PEER and CTL_CLIENT only after it, CTL_CLIENT only where taken,
 * nothing else; keyd's keyless channel takes CTL_PEER at once and no key. The last case reads through ctlchan_read() in a child and
 * checks that a broken rule ends the process non-zero. */
#include "check.h"
#include "ctlchan.h"
#include "log.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static struct ipc_msg m;
static uint8_t key[TICKET_KEY_LEN];

static void
msg(uint32_t type, const struct buf *b, int fd)
{
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.fd = fd;
	m.len = b ? b->len : 0;
	m.payload = m.raw + IPC_HDR_SIZE;
	if (b && b->len)
		memcpy(m.payload, b->data, b->len);
}

/* 0 accepted, -1 refused. */
static int
offer(struct ctlchan *cc, uint32_t type, const struct buf *b, int fd,
    struct ctl_rec *r)
{
	char why[96];
	msg(type, b, fd);
	return ctlchan_accept(cc, &m, r, why, sizeof(why));
}

static void
put_key(struct buf *b, uint32_t version, size_t n)
{
	buf_reset(b);
	ipc_put_u32(b, version);
	ipc_put_bytes(b, key, n);
}

static void
put_peer(struct buf *b, const char *service, uint32_t flags)
{
	buf_reset(b);
	ipc_put_str(b, service);
	ipc_put_u64(b, 42);
	ipc_put_u32(b, flags);
}

static void
put_client(struct buf *b, const void *sa, size_t n)
{
	buf_reset(b);
	ipc_put_u64(b, 42);
	ipc_put_bytes(b, sa, n);
}

static void
test_key(void)
{
	struct ctlchan cc;
	struct ctl_rec r;
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	ctlchan_init(&cc, -1, 0, true);
	put_key(&b, IPC_VERSION + 1, sizeof(key));
	CHECK_EQ(offer(&cc, IPC_CTL_KEY, &b, -1, &r), -1);
	put_key(&b, IPC_VERSION, 31);
	CHECK_EQ(offer(&cc, IPC_CTL_KEY, &b, -1, &r), -1);
	put_key(&b, IPC_VERSION, sizeof(key));
	CHECK_EQ(offer(&cc, IPC_CTL_KEY, &b, 3, &r), -1);     /* an fd */
	CHECK(!cc.have_key);
	CHECK_EQ(offer(&cc, IPC_CTL_KEY, &b, -1, &r), 0);
	CHECK(r.kind == CTL_REC_KEY && memcmp(r.key, key, sizeof(key)) == 0);
	ctlchan_wipe(&r);
	CHECK_EQ(r.key[0], 0);
	/* exactly once */
	CHECK_EQ(offer(&cc, IPC_CTL_KEY, &b, -1, &r), -1);
	buf_free(&b);
}

static void
test_order(void)
{
	struct ctlchan cc;
	struct ctl_rec r;
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	ctlchan_init(&cc, -1, IPC_CTL_PEER_FLAGS, false);
	/* nothing before the key */
	put_peer(&b, "imapd", 0);
	CHECK_EQ(offer(&cc, IPC_CTL_PEER, &b, 3, &r), -1);
	put_key(&b, IPC_VERSION, sizeof(key));
	CHECK_EQ(offer(&cc, IPC_CTL_KEY, &b, -1, &r), 0);
	put_peer(&b, "imapd", 0);
	CHECK_EQ(offer(&cc, IPC_CTL_PEER, &b, 3, &r), 0);
	CHECK(r.kind == CTL_REC_PEER && r.fd == 3 && m.fd == -1);
	CHECK(strcmp(r.service, "imapd") == 0 && r.instance == 42);
	/* CTL_CLIENT is authd's: refused where not taken */
	put_client(&b, &s4, sizeof(s4));
	CHECK_EQ(offer(&cc, IPC_CTL_CLIENT, &b, -1, &r), -1);
	/* no other type, no continued record */
	CHECK_EQ(offer(&cc, IPC_CTL_CONN, NULL, -1, &r), -1);
	CHECK_EQ(offer(&cc, IPC_PING, NULL, -1, &r), -1);
	CHECK_EQ(offer(&cc, 9999, NULL, -1, &r), -1);
	put_peer(&b, "imapd", 0);
	msg(IPC_CTL_PEER, &b, 3);
	m.flags = IPC_F_MORE;
	char why[96];
	CHECK_EQ(ctlchan_accept(&cc, &m, &r, why, sizeof(why)), -1);
	buf_free(&b);
}

/* keyd's channel: CTL_PEER from the first record, and never a key */
static void
test_keyless(void)
{
	struct ctlchan cc;
	struct ctl_rec r;
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	ctlchan_init_keyless(&cc, -1);
	put_peer(&b, "imapd", 0);
	CHECK_EQ(offer(&cc, IPC_CTL_PEER, &b, 3, &r), 0);
	CHECK(r.kind == CTL_REC_PEER && r.fd == 3);
	put_key(&b, IPC_VERSION, sizeof(key));
	CHECK_EQ(offer(&cc, IPC_CTL_KEY, &b, -1, &r), -1);
	put_client(&b, &s4, sizeof(s4));
	CHECK_EQ(offer(&cc, IPC_CTL_CLIENT, &b, -1, &r), -1);
	put_peer(&b, "imapd", IPC_CTL_PEER_ADMIN);
	CHECK_EQ(offer(&cc, IPC_CTL_PEER, &b, 3, &r), -1);
	put_peer(&b, "imapd", 0);
	CHECK_EQ(offer(&cc, IPC_CTL_PEER, &b, 4, &r), 0);
	buf_free(&b);
}

static void
test_peer(void)
{
	struct ctlchan cc, adm;
	struct ctl_rec r;
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	ctlchan_init(&cc, -1, 0, true);
	ctlchan_init(&adm, -1, IPC_CTL_PEER_FLAGS, false);
	cc.have_key = adm.have_key = true;
	put_peer(&b, "imapd", 0);
	CHECK_EQ(offer(&cc, IPC_CTL_PEER, &b, -1, &r), -1);   /* needs its fd */
	put_peer(&b, "a-service-name-too-long", 0);
	CHECK_EQ(offer(&cc, IPC_CTL_PEER, &b, 3, &r), -1);
	put_peer(&b, "IMAP-tls_2", 0);          /* what the config allows */
	CHECK_EQ(offer(&cc, IPC_CTL_PEER, &b, 3, &r), 0);
	put_peer(&b, "imap d", 0);
	CHECK_EQ(offer(&cc, IPC_CTL_PEER, &b, 3, &r), -1);
	put_peer(&b, "", 0);
	CHECK_EQ(offer(&cc, IPC_CTL_PEER, &b, 3, &r), -1);
	/* the admin flag is the store's: authd refuses it, stored takes it;
	 * an unknown flag nobody takes; the flags field is not optional */
	put_peer(&b, "admin", IPC_CTL_PEER_ADMIN);
	CHECK_EQ(offer(&cc, IPC_CTL_PEER, &b, 3, &r), -1);
	CHECK_EQ(offer(&adm, IPC_CTL_PEER, &b, 3, &r), 0);
	CHECK(r.flags == IPC_CTL_PEER_ADMIN);
	put_peer(&b, "admin", 1u << 7);
	CHECK_EQ(offer(&adm, IPC_CTL_PEER, &b, 3, &r), -1);
	buf_reset(&b);
	ipc_put_str(&b, "imapd");
	ipc_put_u64(&b, 42);
	CHECK_EQ(offer(&cc, IPC_CTL_PEER, &b, 3, &r), -1);
	put_peer(&b, "imapd", 0);
	ipc_put_u32(&b, 0);                      /* bytes left over */
	CHECK_EQ(offer(&cc, IPC_CTL_PEER, &b, 3, &r), -1);
	buf_free(&b);
}

static void
test_client(void)
{
	struct ctlchan cc;
	struct ctl_rec r;
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	ctlchan_init(&cc, -1, 0, true);
	cc.have_key = true;
	/* the sockaddr size must match its family */
	put_client(&b, &s4, sizeof(s4));
	CHECK_EQ(offer(&cc, IPC_CTL_CLIENT, &b, -1, &r), 0);
	CHECK(r.kind == CTL_REC_CLIENT && r.instance == 42 &&
	    r.addrlen == sizeof(s4));
	CHECK_EQ(offer(&cc, IPC_CTL_CLIENT, &b, 3, &r), -1);   /* an fd */
	put_client(&b, &s6, sizeof(s6));
	CHECK_EQ(offer(&cc, IPC_CTL_CLIENT, &b, -1, &r), 0);
	put_client(&b, &su, sizeof(sa_family_t));
	CHECK_EQ(offer(&cc, IPC_CTL_CLIENT, &b, -1, &r), 0);
	put_client(&b, &s6, sizeof(s4));
	CHECK_EQ(offer(&cc, IPC_CTL_CLIENT, &b, -1, &r), -1);
	put_client(&b, &s4, 1);
	CHECK_EQ(offer(&cc, IPC_CTL_CLIENT, &b, -1, &r), -1);
	buf_free(&b);
}

/* Send records on a socketpair and read them with ctlchan_read() in a
 * child: its exit status. */
static int
read_in_child(const uint32_t *types, size_t n)
{
	int sv[2];
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (types[i] == IPC_CTL_KEY)
			put_key(&b, IPC_VERSION, sizeof(key));
		else
			put_peer(&b, "imapd", 0);
		ipc_send(sv[0], types[i], 0, 0, &b, types[i] == IPC_CTL_PEER ?
		    sv[0] : -1);
	}
	close(sv[0]);
	buf_free(&b);
	pid_t pid = fork();
	if (pid == 0) {
		struct ctlchan cc;
		struct ctl_rec r;
		ctlchan_init(&cc, sv[1], 0, false);
		for (;;) {
			enum ctlchan_result res = ctlchan_read(&cc, &r);
			if (res == CTLCHAN_CLOSED)
				_exit(0);
			if (res == CTLCHAN_RECORD && r.fd >= 0)
				close(r.fd);
		}
	}
	close(sv[1]);
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void
test_read_exits(void)
{
	static const uint32_t good[] = { IPC_CTL_KEY, IPC_CTL_PEER, IPC_CTL_PEER };
	static const uint32_t twice[] = { IPC_CTL_KEY, IPC_CTL_KEY };
	static const uint32_t early[] = { IPC_CTL_PEER, IPC_CTL_KEY };
	static const uint32_t other[] = { IPC_CTL_KEY, IPC_CTL_CONN };
	CHECK_EQ(read_in_child(good, 3), 0);      /* then end of file: 0 */
	CHECK(read_in_child(twice, 2) > 0);
	CHECK(read_in_child(early, 2) > 0);
	CHECK(read_in_child(other, 2) > 0);
}

int
main(void)
{
	memset(key, 0xab, sizeof(key));
	log_open("test_ctlchan", true);
	test_key();
	test_order();
	test_keyless();
	test_peer();
	test_client();
	test_read_exits();
	return check_done("ctlchan");
}
