/* test_push_dns: the push sender's resolver: resolv.conf read, the query
 * it writes, answers parsed (CNAME chains, compression, failures, and
 * the malformed: wrong id, truncation, pointer loops, names past 255),
 * and one exchange over TCP with a resolver played by a child process
 * on 127.0.0.1. */
#include "check.h"
#include "push_dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* header: id 0x1234, QR RD RA, rcode; one question; an answers */
static size_t
answer_head(uint8_t *m, uint8_t rcode, uint8_t an)
{
	static const uint8_t q[] = { 4, 'p', 'u', 's', 'h', 7, 'e', 'x', 'a',
		'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0, 0, 1, 0, 1 };
	const uint8_t h[12] = { 0x12, 0x34, 0x81, 0x80 | rcode, 0, 1, 0, an };
	memcpy(m, h, 12);
	memcpy(m + 12, q, sizeof(q));
	return 12 + sizeof(q);
}

/* a record: owner (raw bytes), type, ttl 60, rdata */
static size_t
rec(uint8_t *m, const uint8_t *owner, size_t on, uint16_t type,
    const uint8_t *rd, uint16_t rl)
{
	size_t o = on;
	memcpy(m, owner, on);
	const uint8_t f[10] = { 0, (uint8_t)type, 0, 1, 0, 0, 0, 60, 0,
		(uint8_t)rl };
	memcpy(m + o, f, 10);
	memcpy(m + o + 10, rd, rl);
	return o + 10 + rl;
}

static void
test_answers(void)
{
	uint8_t m[512];
	struct push_dns_addr a[4];
	static const uint8_t at_q[] = { 0xc0, 12 };     /* -> the question */
	static const uint8_t ip1[] = { 192, 0, 2, 7 };
	static const uint8_t ip2[] = { 198, 51, 100, 9 };
	/* a plain A answer */
	size_t n = answer_head(m, 0, 1);
	n += rec(m + n, at_q, 2, 1, ip1, 4);
	CHECK_EQ(push_dns_answer(m, n, 0x1234, 1, "push.example.net.", a, 4), 1);
	CHECK(a[0].family == AF_INET && memcmp(a[0].a, ip1, 4) == 0);
	CHECK_EQ(push_dns_answer(m, n, 0x1235, 1, "push.example.net", a, 4), -1);
	CHECK_EQ(push_dns_answer(m, n, 0x1234, 1, "other.example.net", a, 4), -1);
	CHECK_EQ(push_dns_answer(m, n - 1, 0x1234, 1, "push.example.net", a,
	    4), -1);
	/* CNAME to cdn.example.net (compressed against the question), an A
	 * of an unrelated owner ignored, then the target's A */
	static const uint8_t cname[] = { 3, 'c', 'd', 'n', 0xc0, 17 };
	static const uint8_t other[] = { 1, 'x', 0xc0, 17 };
	n = answer_head(m, 0, 3);
	size_t cn_at = n + 12;
	n += rec(m + n, at_q, 2, 5, cname, sizeof(cname));
	n += rec(m + n, other, sizeof(other), 1, ip1, 4);
	const uint8_t at_cn[] = { 0xc0, (uint8_t)cn_at };
	n += rec(m + n, at_cn, 2, 1, ip2, 4);
	CHECK_EQ(push_dns_answer(m, n, 0x1234, 1, "push.example.net", a, 4), 1);
	CHECK(memcmp(a[0].a, ip2, 4) == 0);
	/* NXDOMAIN: no address, not an error */
	n = answer_head(m, 3, 0);
	CHECK_EQ(push_dns_answer(m, n, 0x1234, 1, "push.example.net", a, 4), 0);
	/* a pointer to itself never ends a name */
	n = answer_head(m, 0, 1);
	const uint8_t loop[] = { 0xc0, (uint8_t)n };
	n += rec(m + n, loop, 2, 1, ip1, 4);
	CHECK_EQ(push_dns_answer(m, n, 0x1234, 1, "push.example.net", a, 4), -1);
	/* a record longer than the message */
	n = answer_head(m, 0, 1);
	n += rec(m + n, at_q, 2, 1, ip1, 4);
	m[n - 5] = 200;
	CHECK_EQ(push_dns_answer(m, n, 0x1234, 1, "push.example.net", a, 4), -1);
}

static void
test_query_and_servers(void)
{
	uint8_t q[300];
	long n = push_dns_query("Push.example.net.", 0xbeef, 28, q, sizeof(q));
	CHECK_EQ(n, 2 + 12 + 18 + 4);
	CHECK(q[0] == 0 && q[1] == n - 2 && q[2] == 0xbe && q[3] == 0xef);
	CHECK(q[4] == 0x01 && q[7] == 1);                 /* RD, 1 question */
	CHECK(memcmp(q + 14, "\x04Push\x07" "example\x03net\x00\x00\x1c\x00\x01",
	    22) == 0);
	char label[80];
	memset(label, 'a', 64);
	label[64] = '\0';
	CHECK(push_dns_query(label, 1, 1, q, sizeof(q)) < 0);
	CHECK(push_dns_query("a..b", 1, 1, q, sizeof(q)) < 0);
	static const char conf[] = "# comment\nsearch example.org\n"
	    "nameserver 192.0.2.53\nnameserver fe80::1%eth0\n"
	    "nameserver 2001:db8::53\nnameserver 10.0.0.1\nnameserver 10.0.0.2\n";
	struct push_dns_addr s[PUSH_DNS_MAX_SERVERS];
	CHECK_EQ(push_dns_servers(conf, strlen(conf), s), 3);
	CHECK(s[0].family == AF_INET && s[0].a[3] == 53);
	CHECK(s[1].family == AF_INET6 && s[1].a[15] == 0x53);
}

/* A resolver on 127.0.0.1 answering one query with 192.0.2.7. */
static void
serve_one(int ls)
{
	int c = accept(ls, NULL, NULL);
	uint8_t q[512], out[600];
	ssize_t n = read(c, q, sizeof(q));
	if (n < 2 + 12)
		_exit(1);
	size_t ql = (size_t)(q[0] << 8 | q[1]);
	memcpy(out + 2, q + 2, ql);
	out[4] = 0x81;
	out[5] = 0x80;
	out[9] = 1;                                      /* one answer */
	static const uint8_t r[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4,
		192, 0, 2, 7 };
	memcpy(out + 2 + ql, r, sizeof(r));
	size_t len = ql + sizeof(r);
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	if (write(c, out, len + 2) != (ssize_t)(len + 2))
		_exit(1);
	_exit(0);
}

static void
test_exchange(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(bind(ls, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(listen(ls, 1) == 0);
	CHECK(getsockname(ls, (struct sockaddr *)&sa, &sl) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		alarm(10);
		serve_one(ls);
	}
	close(ls);
	struct push_dns_addr srv = { .family = AF_INET, .a = { 127, 0, 0, 1 } };
	struct push_dns_addr out[4];
	CHECK_EQ(push_dns_resolve(&srv, ntohs(sa.sin_port), "push.example.net",
	    5000, out, 4), 1);
	CHECK(out[0].a[0] == 192 && out[0].a[3] == 7);
	int st = 0;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int
main(void)
{
	test_answers();
	test_query_and_servers();
	test_exchange();
	return check_done("push_dns");
}
