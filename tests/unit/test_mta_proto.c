/* Unit tests for workers/mtaauth/mta_proto: the lines an MTA sends in
 * Dovecot's auth client protocol parse into what they say, every bound
 * and malformed variant is refused, and the reader hands out whole lines
 * across reads and refuses an over-long one or a NUL. */
#include "check.h"
#include "mta_proto.h"

#include <string.h>

static int
parse(const char *text, struct mta_req *q)
{
	static char line[MTA_LINE_MAX + 1];
	const char *why = NULL;
	size_t n = strlen(text);
	memcpy(line, text, n + 1);
	int r = mta_parse(line, n, q, &why);
	CHECK(r == 0 || (why != NULL && why[0] != '\0'));
	return r;
}

static void
test_lines(void)
{
	struct mta_req q;
	CHECK_EQ(parse("VERSION\t1\t2", &q), 0);
	CHECK(q.cmd == MTA_CMD_VERSION && q.major == 1 && q.minor == 2);
	CHECK_EQ(parse("CPID\t4242", &q), 0);
	CHECK_EQ(parse("AUTH\t7\tplain\tservice=smtp\tnologin\tlip=127.0.0.1"
	    "\trip=2001:db8::1\tsecured=tls\tsession=x\tresp=AGEAYg==", &q), 0);
	CHECK(q.cmd == MTA_CMD_AUTH && q.id == 7);
	CHECK(strcmp(q.mech, "PLAIN") == 0 && strcmp(q.service, "smtp") == 0);
	CHECK(strcmp(q.rip, "2001:db8::1") == 0 && q.secured && q.has_data);
	CHECK(q.data_len == 8 && memcmp(q.data, "AGEAYg==", 8) == 0);
	CHECK_EQ(parse("AUTH\t4294967295\tLOGIN\tservice=smtp", &q), 0);
	CHECK(q.id == 4294967295u && !q.has_data && !q.secured);
	CHECK_EQ(parse("AUTH\t1\tPLAIN\tservice=smtp\tresp=", &q), 0);
	CHECK(q.has_data && q.data_len == 0);
	CHECK_EQ(parse("CONT\t3\t", &q), 0);
	CHECK(q.cmd == MTA_CMD_CONT && q.id == 3 && q.data_len == 0);
	CHECK(mta_addr_loopback("127.0.0.1") && mta_addr_loopback("::1"));
	CHECK(!mta_addr_loopback("192.0.2.1") && !mta_addr_loopback(""));
}

static void
test_refusals(void)
{
	static const char *bad[] = {
		"", "HELO", "VERSION\t1", "VERSION\t1\t2\t3", "VERSION\t-1\t0",
		"CPID", "CPID\t0", "CPID\tx",
		"AUTH\t0\tPLAIN\tservice=smtp",          /* id 0 */
		"AUTH\t01\tPLAIN\tservice=smtp",         /* leading zero */
		"AUTH\t4294967296\tPLAIN\tservice=smtp", /* over 32 bits */
		"AUTH\t1\tPLAIN",                        /* no service */
		"AUTH\t1\tPL AIN\tservice=smtp",
		"AUTH\t1\tABCDEFGHIJKLMNOPQRSTU\tservice=smtp",  /* 21 chars */
		"AUTH\t1\tPLAIN\tservice=smtp\tresp=a b",
		"AUTH\t1\tPLAIN\tservice=smtp\tresp=AA\tresp=AA",
		"AUTH\t1\tPLAIN\tservice=sm\x01tp",
		"AUTH\t1\tPLAIN\tservice=smtp\trip=1.2.3.4;x",
		"AUTH\t1\tPLAIN\tservice=smtp\t\tnologin",   /* empty field */
		"CONT\t1", "CONT\t1\t!!", "CONT\t0\tAA",
	};
	struct mta_req q;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i], &q);
		CHECK_EQ(r, -1);
		if (r != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
	}
	/* 32 fields pass, 33 do not */
	char line[512];
	size_t n = (size_t)snprintf(line, sizeof(line), "AUTH\t1\tPLAIN\tservice=smtp");
	for (int i = 0; i < 28; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "\tx");
	CHECK_EQ(parse(line, &q), 0);
	snprintf(line + n, sizeof(line) - n, "\tx");
	CHECK_EQ(parse(line, &q), -1);
}

static void
feed(struct mta_reader *r, const char *p, size_t n)
{
	size_t room;
	char *dst = mta_reader_space(r, &room);
	CHECK(n <= room);
	memcpy(dst, p, n);
	mta_reader_added(r, n);
}

static void
test_reader(void)
{
	static struct mta_reader r;
	char *line;
	size_t len;
	mta_reader_init(&r);
	feed(&r, "VERSION\t1", 9);
	CHECK_EQ(mta_reader_line(&r, &line, &len), 0);
	feed(&r, "\t2\nCPID\t1\nAU", 12);
	CHECK_EQ(mta_reader_line(&r, &line, &len), 1);
	CHECK(len == 11 && strcmp(line, "VERSION\t1\t2") == 0);
	CHECK_EQ(mta_reader_line(&r, &line, &len), 1);
	CHECK(len == 6 && strcmp(line, "CPID\t1") == 0);
	CHECK_EQ(mta_reader_line(&r, &line, &len), 0);
	CHECK_EQ(r.len, 2);
	/* a NUL inside a line */
	mta_reader_init(&r);
	feed(&r, "AUTH\0x\n", 7);
	CHECK_EQ(mta_reader_line(&r, &line, &len), -1);
	/* a line as long as the buffer without its end: refused */
	mta_reader_init(&r);
	static char big[MTA_LINE_MAX];
	memset(big, 'A', sizeof(big));
	feed(&r, big, sizeof(big) - 1);
	CHECK_EQ(mta_reader_line(&r, &line, &len), 0);
	feed(&r, big, 1);
	CHECK_EQ(mta_reader_line(&r, &line, &len), -1);
	/* one that just fits, with its "\n" */
	mta_reader_init(&r);
	feed(&r, big, sizeof(big) - 1);
	feed(&r, "\n", 1);
	CHECK_EQ(mta_reader_line(&r, &line, &len), 1);
	CHECK_EQ(len, MTA_LINE_MAX - 1);
	mta_reader_wipe(&r);
	CHECK_EQ(r.len, 0);
}

int
main(void)
{
	test_lines();
	test_refusals();
	test_reader();
	return check_done("mta_proto");
}
