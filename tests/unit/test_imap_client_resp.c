/* The IMAP import source's response reader (ctl/imap_client_resp.h,
 * ctl/imap_client_data.h): framing across literals, tokens, and the
 * LIST / FETCH / date readers, with the malformed and oversized inputs a
 * hostile server could send. */
#include <string.h>

#include "check.h"
#include "imap_client_data.h"
#include "store_proto.h"

/* Frame and parse s (a copy; quoted strings are unescaped in place). */
static long
frame_all(const char *s, size_t max_literal)
{
	struct imapc_frame f = { 0 };
	return imapc_frame_next(&f, s, strlen(s), max_literal);
}

static int
parse(struct imapc_resp *r, char *buf, const char *s)
{
	size_t n = strlen(s);
	memcpy(buf, s, n + 1);
	long len = frame_all(buf, 1 << 20);
	if (len <= 0)
		return -1;
	return imapc_resp_parse(r, buf, (size_t)len);
}

static void
test_frame(void)
{
	CHECK_EQ(frame_all("* OK hi\r\n", 100), 9);
	CHECK_EQ(frame_all("* OK hi", 100), 0);
	/* a literal: the response goes on past its bytes */
	const char *lit = "* 1 FETCH (BODY[] {5}\r\nab\r\nc)\r\nC1 OK\r\n";
	CHECK_EQ(frame_all(lit, 100), 31);
	CHECK_EQ(frame_all("* 1 FETCH (BODY[] {5}\r\nab\r\n", 100), 0);
	/* over the literal limit: refused before a byte of it is read */
	CHECK_EQ(frame_all("* 1 FETCH (BODY[] {101}\r\n", 100), -1);
	CHECK_EQ(frame_all("* 1 FETCH (BODY[] {99999999999}\r\n", 1u << 30), -1);
	/* state kept across reads: the second call finds the end */
	struct imapc_frame f = { 0 };
	const char *whole = "* 1 FETCH (BODY[] {3}\r\nxyz)\r\n";
	size_t cut = strlen(whole) - 4;     /* the literal's last byte on */
	CHECK_EQ(imapc_frame_next(&f, whole, cut, 100), 0);
	CHECK_EQ(imapc_frame_next(&f, whole, strlen(whole), 100),
	    (long)strlen(whole));
}

static void
test_tokens(void)
{
	struct imapc_resp r = { 0 };
	char buf[256];
	CHECK_EQ(parse(&r, buf, "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"), 0);
	CHECK(r.kind == IMAPC_UNTAGGED && r.status && r.ntoks == 2);
	uint32_t v = 0;
	CHECK(imapc_u32(&r.toks[1], &v) == 0 && v == 3857529045u);
	CHECK(r.textlen == 10 && memcmp(r.text, "UIDs valid", 10) == 0);
	CHECK_EQ(parse(&r, buf, "* 17 EXISTS\r\n"), 0);
	CHECK(r.has_number && r.number == 17 &&
	    imapc_is(r.name, r.namelen, "exists"));
	CHECK_EQ(parse(&r, buf, "C7 NO [AUTHENTICATIONFAILED] nope\r\n"), 0);
	CHECK(r.kind == IMAPC_TAGGED && r.taglen == 2 && r.status);
	CHECK_EQ(parse(&r, buf, "+ \r\n"), 0);
	CHECK(r.kind == IMAPC_CONTINUE);
	/* quoted strings unescaped; nesting recorded */
	CHECK_EQ(parse(&r, buf, "* LIST (\\HasNoChildren) \"/\" \"a \\\"b\\\\\"\r\n"), 0);
	CHECK(r.ntoks == 5 && r.toks[0].close == 2);
	CHECK(r.toks[4].len == 5 && memcmp(r.toks[4].p, "a \"b\\", 5) == 0);
	/* malformed: unbalanced, unterminated, a number too big */
	CHECK_EQ(parse(&r, buf, "* LIST (\\X \"/\" a\r\n"), -1);
	CHECK_EQ(parse(&r, buf, "* LIST () \"/\r\n"), -1);
	CHECK_EQ(parse(&r, buf, "* 1 FETCH (a))\r\n"), -1);
	CHECK_EQ(parse(&r, buf, "* OK [UIDVALIDITY 3\r\n"), -1);
	CHECK_EQ(parse(&r, buf, "*\r\n"), -1);
	/* a literal that swallows the close: unbalanced */
	CHECK_EQ(parse(&r, buf, "* 1 FETCH (BODY[] {9}\r\nab)\r\nC1 OK\r\n"), -1);
	CHECK_EQ(parse(&r, buf, "* 1 FETCH (BODY[] {3}\r\nabc)\r\n"), 0);
	CHECK(r.ntoks == 4 && r.toks[2].len == 3 && r.toks[0].close == 3);
	char deep[100];
	int n = snprintf(deep, sizeof(deep), "* X ");
	memset(deep + n, '(', 40);
	memset(deep + n + 40, ')', 40);
	snprintf(deep + n + 80, sizeof(deep) - (size_t)n - 80, "\r\n");
	CHECK_EQ(parse(&r, buf, deep), -1);
	imapc_resp_free(&r);
}

static void
test_data(void)
{
	struct imapc_resp r = { 0 };
	char buf[512];
	struct imapc_list l;
	CHECK_EQ(parse(&r, buf, "* LIST (\\HasNoChildren \\Sent) \".\" Sent\r\n"), 0);
	CHECK(imapc_list_parse(&r, &l) == 0 && l.attrs == STORE_USE_SENT &&
	    l.delim == '.' && l.namelen == 4);
	CHECK_EQ(parse(&r, buf, "* LIST (\\Noselect) NIL {3}\r\na b\r\n"), 0);
	CHECK(imapc_list_parse(&r, &l) == 0 && l.delim == 0 &&
	    (l.attrs & STORE_MBOX_NOSELECT) && l.namelen == 3);
	CHECK_EQ(parse(&r, buf, "* LIST (\\Sent) \"//\" x\r\n"), 0);
	CHECK_EQ(imapc_list_parse(&r, &l), -1);

	struct imapc_fetch f;
	CHECK_EQ(parse(&r, buf, "* 3 FETCH (UID 42 FLAGS (\\Seen \\Recent $Label1"
	    " \\Flagged bad\\kw) INTERNALDATE \" 4-Dec-2026 10:00:00 +0100\""
	    " RFC822.SIZE 1234 X-EXT (a (b)) BODY[] {4}\r\nab\r\n)\r\n"), 0);
	CHECK_EQ(imapc_fetch_parse(&r, &f), 0);
	CHECK(f.has_uid && f.uid == 42 && f.has_size && f.size == 1234);
	CHECK_EQ(f.flags, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);
	CHECK(f.has_date && f.date == 1796374800);
	CHECK(f.has_body && f.bodylen == 4 && memcmp(f.body, "ab\r\n", 4) == 0);
	const struct imapc_tok *k = imapc_fetch_keyword(&r, &f, 0);
	CHECK(k != NULL && k->len == 7 && memcmp(k->p, "$Label1", 7) == 0);
	CHECK(imapc_fetch_keyword(&r, &f, 1) == NULL);
	CHECK_EQ(parse(&r, buf, "* 3 FETCH (UID 0)\r\n"), 0);
	CHECK_EQ(imapc_fetch_parse(&r, &f), -1);
	CHECK_EQ(parse(&r, buf, "* 3 FETCH (UID)\r\n"), 0);
	CHECK_EQ(imapc_fetch_parse(&r, &f), -1);
	CHECK_EQ(parse(&r, buf, "* 3 FETCH (BODY[] (x))\r\n"), 0);
	CHECK_EQ(imapc_fetch_parse(&r, &f), -1);
	/* an nstring: NIL is no body (a message expunged meanwhile) */
	CHECK_EQ(parse(&r, buf, "* 3 FETCH (UID 7 BODY[] NIL)\r\n"), 0);
	CHECK(imapc_fetch_parse(&r, &f) == 0 && f.has_uid && !f.has_body);

	int64_t t;
	CHECK(imapc_date_parse("01-Jan-1970 00:00:00 +0000", 26, &t) == 0 && t == 0);
	CHECK(imapc_date_parse("01-Jan-1970 01:00:00 +0100", 26, &t) == 0 && t == 0);
	CHECK_EQ(imapc_date_parse("01-Foo-1970 00:00:00 +0000", 26, &t), -1);
	CHECK_EQ(imapc_date_parse("01-Jan-1970 00:00:00", 20, &t), -1);

	struct imapc_ns ns;
	CHECK_EQ(parse(&r, buf, "* NAMESPACE ((\"INBOX.\" \".\")) ((\"#users.\""
	    " \".\") (\"~\" NIL (\"X\" (\"a\")))) NIL\r\n"), 0);
	CHECK_EQ(imapc_namespace_parse(&r, &ns), 0);
	CHECK(ns.has_personal && ns.personal.len == 6 && ns.personal.delim == '.');
	CHECK(ns.nothers == 2 && ns.others[0].len == 7 && ns.others[1].delim == 0);
	CHECK_EQ(parse(&r, buf, "* NAMESPACE NIL NIL NIL\r\n"), 0);
	CHECK(imapc_namespace_parse(&r, &ns) == 0 && !ns.has_personal);
	CHECK_EQ(parse(&r, buf, "* NAMESPACE ((\"\" \"//\")) NIL NIL\r\n"), 0);
	CHECK_EQ(imapc_namespace_parse(&r, &ns), -1);
	CHECK_EQ(parse(&r, buf, "* NAMESPACE NIL NIL\r\n"), 0);
	CHECK_EQ(imapc_namespace_parse(&r, &ns), -1);

	CHECK_EQ(parse(&r, buf, "* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN"
	    " SASL-IR\r\n"), 0);
	CHECK_EQ(imapc_caps(r.toks, r.ntoks), IMAPC_CAP_IMAP4REV1 |
	    IMAPC_CAP_STARTTLS | IMAPC_CAP_AUTH_PLAIN | IMAPC_CAP_SASL_IR);
	imapc_resp_free(&r);
}

int
main(void)
{
	test_frame();
	test_tokens();
	test_data();
	return check_done("imap_client_resp");
}
