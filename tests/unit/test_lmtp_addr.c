/* Unit tests for workers/lmtp/lmtp_addr: RFC 5321 paths, the recipient to
 * store user mapping (user+detail), and the trace headers. */
#include "check.h"
#include "lmtp.h"

#include <string.h>

static int
path(const char *s, char *out, const char **rest, bool null_ok)
{
	return lmtp_parse_path(s, strlen(s), out, LMTP_PATH_MAX + 1, rest,
	    null_ok);
}

static void
test_paths(void)
{
	char a[LMTP_PATH_MAX + 1];
	const char *rest;
	CHECK_EQ(path("<alice@example.org>", a, &rest, false), 0);
	CHECK(strcmp(a, "alice@example.org") == 0 && *rest == '\0');
	CHECK_EQ(path(" <bob@x> SIZE=10", a, &rest, false), 0);
	CHECK(strcmp(a, "bob@x") == 0 && strcmp(rest, " SIZE=10") == 0);
	CHECK_EQ(path("<>", a, &rest, true), 0);
	CHECK(a[0] == '\0');
	CHECK_EQ(path("<>", a, &rest, false), -1);
	CHECK_EQ(path("<@relay.example,@r2:carol@example.org>", a, &rest,
	    false), 0);
	CHECK(strcmp(a, "carol@example.org") == 0);
	CHECK_EQ(path("<\"odd \\\"name\"@example.org>", a, &rest, false), 0);
	CHECK(strcmp(a, "\"odd \\\"name\"@example.org") == 0);
	CHECK_EQ(path("alice@example.org", a, &rest, false), -1);
	CHECK_EQ(path("<alice@example.org", a, &rest, false), -1);
	CHECK_EQ(path("<a b@example.org>", a, &rest, false), -1);
	CHECK_EQ(path("<al\xc3\xa9@example.org>", a, &rest, false), -1);
	CHECK_EQ(path("<a@b>junk", a, &rest, false), -1);
	CHECK_EQ(path("<@a:>", a, &rest, false), -1);
	char longp[600];
	memset(longp, 'a', sizeof(longp));
	longp[0] = '<';
	memcpy(longp + 590, "@x.org>", 8);
	CHECK_EQ(path(longp, a, &rest, false), -1);   /* past 256 */
}

static void
test_map(void)
{
	struct lmtp_opts o;
	struct lmtp_rcpt r;
	lmtp_opts_default(&o);
	CHECK_EQ(lmtp_map_rcpt(&o, "Alice+Lists@Example.ORG", &r), 0);
	CHECK(strcmp(r.user, "alice") == 0 && strcmp(r.detail, "Lists") == 0);
	CHECK_EQ(lmtp_map_rcpt(&o, "bob@example.org", &r), 0);
	CHECK(strcmp(r.user, "bob") == 0 && r.detail[0] == '\0');
	CHECK_EQ(lmtp_map_rcpt(&o, "+x@example.org", &r), 0);
	CHECK(strcmp(r.user, "+x") == 0);   /* no user before it: no split */
	CHECK_EQ(lmtp_map_rcpt(&o, "postmaster", &r), 0);
	CHECK(strcmp(r.user, "postmaster") == 0);
	o.full_address = true;
	CHECK_EQ(lmtp_map_rcpt(&o, "Carol+x@Example.ORG", &r), 0);
	CHECK(strcmp(r.user, "carol@example.org") == 0 &&
	    strcmp(r.detail, "x") == 0);
	o.delimiter = 0;
	CHECK_EQ(lmtp_map_rcpt(&o, "d+e@x", &r), 0);
	CHECK(strcmp(r.user, "d+e@x") == 0 && r.detail[0] == '\0');
	CHECK_EQ(lmtp_map_rcpt(&o, "@x", &r), -1);
}

static void
test_trace(void)
{
	struct lmtp_opts o;
	lmtp_opts_default(&o);
	memcpy(o.hostname, "mx.example.org", 15);
	struct lmtp_rcpt r = { "alice@example.org", "alice", "" };
	struct lmtp_txn t = { 0x2a, "mta.example.org", "192.0.2.1",
	    "s@example.net", &r, 1, (const uint8_t *)"", 0 };
	struct buf b = BUF_INIT(4096);
	CHECK_EQ(lmtp_trace_headers(&b, &o, &t, 0, 1704189599), 0);
	const char *want = "Return-Path: <s@example.net>\r\n"
	    "Delivered-To: alice@example.org\r\n"
	    "Received: from mta.example.org ([192.0.2.1])\r\n"
	    "\tby mx.example.org (Cloister) with LMTP id 000000000000002a\r\n"
	    "\tfor <alice@example.org>; Tue, 2 Jan 2024 09:59:59 +0000\r\n";
	CHECK(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0);
	/* the calendar is computed by hand: check some corners */
	static const struct { int64_t t; const char *d; } days[] = {
		{ 0, "Thu, 1 Jan 1970 00:00:00" },
		{ 951782400, "Tue, 29 Feb 2000 00:00:00" },
		{ 1709251199, "Thu, 29 Feb 2024 23:59:59" },
		{ 4102444800, "Fri, 1 Jan 2100 00:00:00" },
		{ -1, "Wed, 31 Dec 1969 23:59:59" },
	};
	for (size_t k = 0; k < sizeof(days) / sizeof(days[0]); k++) {
		buf_reset(&b);
		CHECK_EQ(lmtp_trace_headers(&b, &o, &t, 0, days[k].t), 0);
		CHECK(memmem(b.data, b.len, days[k].d, strlen(days[k].d)) != NULL);
	}
	buf_reset(&b);
	o.received = false;
	t.sender = "";
	CHECK_EQ(lmtp_trace_headers(&b, &o, &t, 0, 0), 0);
	want = "Return-Path: <>\r\nDelivered-To: alice@example.org\r\n";
	CHECK(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0);
	buf_free(&b);
}

int
main(void)
{
	test_paths();
	test_map();
	test_trace();
	return check_done("lmtp_addr");
}
