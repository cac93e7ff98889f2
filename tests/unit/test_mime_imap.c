/* Unit tests for workers/shared: IMAP string quoting (imapstr) and the
 * ENVELOPE / BODYSTRUCTURE cases the Dovecot corpus does not reach
 * (limits, empty multiparts, NUL bytes, nested envelopes). */
#include "check.h"
#include "imapstr.h"
#include "mime.h"
#include "mime_imap.h"

#include <stdlib.h>
#include <string.h>

static bool
out_is(struct buf *b, const char *want)
{
	bool ok = b->len == strlen(want) && memcmp(b->data, want, b->len) == 0;
	if (!ok)
		fprintf(stderr, "  got  [%.*s]\n  want [%s]\n", (int)b->len,
		    (const char *)b->data, want);
	buf_reset(b);
	return ok;
}

static void
test_imapstr(void)
{
	struct buf b = BUF_INIT(4096);
	imapstr_nstring(&b, NULL, 0, 0);
	CHECK(out_is(&b, "NIL"));
	imapstr_nstring(&b, "", 0, 0);
	CHECK(out_is(&b, "\"\""));
	imapstr_nstring(&b, "a \"b\" \\c", 8, 0);
	CHECK(out_is(&b, "\"a \\\"b\\\" \\\\c\""));
	/* five quoted-specials: a literal is shorter */
	imapstr_nstring(&b, "\"\"\"\"\"", 5, 0);
	CHECK(out_is(&b, "{5}\r\n\"\"\"\"\""));
	imapstr_nstring(&b, "caf\xc3\xa9", 5, 0);
	CHECK(out_is(&b, "{5}\r\ncaf\xc3\xa9"));
	imapstr_nstring(&b, "caf\xc3\xa9", 5, IMAPSTR_UTF8);
	CHECK(out_is(&b, "\"caf\xc3\xa9\""));
	imapstr_nstring(&b, "caf\xe9", 4, IMAPSTR_UTF8);   /* not UTF-8 */
	CHECK(out_is(&b, "{4}\r\ncaf\xe9"));
	imapstr_nstring(&b, "a\0b", 3, 0);   /* NUL never goes out */
	CHECK(out_is(&b, "{5}\r\na\xef\xbf\xbd" "b"));
	imapstr_nstring_nolf(&b, "a\r\n b\r\nc\r\n", 10, 0);
	CHECK(out_is(&b, "\"a b c\""));
	imapstr_human(&b, "plain words", 11, 0);
	CHECK(out_is(&b, "\"plain words\""));
	imapstr_human(&b, "  two\r\n\tspaces  ", 16, 0);
	CHECK(out_is(&b, "{10}\r\ntwo spaces"));
	imapstr_human(&b, "   ", 3, 0);
	CHECK(out_is(&b, "\"\""));
	imapstr_astring(&b, "INBOX", 5, 0);
	CHECK(out_is(&b, "INBOX"));
	imapstr_astring(&b, "nil", 3, 0);
	CHECK(out_is(&b, "\"nil\""));
	imapstr_astring(&b, "a b", 3, 0);
	CHECK(out_is(&b, "\"a b\""));
	/* a full buf fails, it does not truncate */
	struct buf small = BUF_INIT(4);
	CHECK_EQ(imapstr_nstring(&small, "abcdef", 6, 0), -1);
	buf_free(&small);
	buf_free(&b);
}

static void
structure(const char *msg, size_t len, bool ext, const char *want,
    const struct mime_limits *lim)
{
	struct mime_msg m;
	struct buf b = BUF_INIT(1 << 20);
	CHECK_EQ(mime_parse(&m, msg, len, lim), 0);
	CHECK_EQ(mime_imap_bodystructure(&b, &m, 0, ext, 0), 0);
	CHECK(out_is(&b, want));
	buf_free(&b);
	mime_free(&m);
}

static void
test_bodystructure_edges(void)
{
	const char *nob = "Content-Type: multipart/mixed\r\n\r\nbody\r\n";
	structure(nob, strlen(nob), true,
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "0 0 NIL NIL NIL NIL) \"mixed\" NIL NIL NIL NIL)", NULL);
	structure(nob, strlen(nob), false,
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "0 0) \"mixed\")", NULL);

	/* depth limit: the too-deep multipart is an opaque octet-stream */
	const char *deep = "Content-Type: multipart/mixed; boundary=a\r\n\r\n"
	    "--a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\n\r\nx\r\n--b--\r\n--a--\r\n";
	struct mime_limits lim = { 2, 100 };
	structure(deep, strlen(deep), true,
	    "((\"application\" \"octet-stream\" (\"boundary\" \"b\") NIL NIL "
	    "\"7bit\" 15 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"a\") NIL "
	    "NIL NIL)", &lim);

	/* no Content-Type, no MIME-Version: Content-* do not count */
	const char *nomime = "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment\r\n\r\naGk=\r\n";
	structure(nomime, strlen(nomime), true,
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1 "
	    "NIL NIL NIL NIL)", NULL);

	/* an enclosed message carries its envelope, body and line count */
	const char *fwd = "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n"
	    "\r\nSubject: in\r\nFrom: x@y\r\n\r\nbody\r\n";
	structure(fwd, strlen(fwd), false,
	    "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 32 (NIL \"in\" "
	    "((NIL NIL \"x\" \"y\")) ((NIL NIL \"x\" \"y\")) ((NIL NIL \"x\" "
	    "\"y\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" "
	    "\"us-ascii\") NIL NIL \"7bit\" 6 1) 4)", NULL);

	/* a NUL in a header value goes out as U+FFFD in a literal */
	const char nul[] = "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
	    "Content-Description: a\0b\r\n\r\nx";
	structure(nul, sizeof(nul) - 1, false,
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL {5}\r\n"
	    "a\xef\xbf\xbd" "b \"7bit\" 1 0)", NULL);
}

static void
test_envelope(void)
{
	struct mime_msg m;
	struct buf b = BUF_INIT(1 << 20);
	const char *msg = "Subject: first\r\nSubject: second\r\n"
	    "From: A <a@x>\r\nFrom: b@y\r\nReply-To: \r\n\r\n";
	CHECK_EQ(mime_parse(&m, msg, strlen(msg), NULL), 0);
	CHECK_EQ(mime_imap_envelope(&b, &m, 0, 0), 0);
	/* the last Subject counts; both From headers merge; an empty
	 * Reply-To falls back to From */
	CHECK(out_is(&b, "(NIL \"second\" ((\"A\" NIL \"a\" \"x\")(NIL NIL "
	    "\"b\" \"y\")) ((\"A\" NIL \"a\" \"x\")(NIL NIL \"b\" \"y\")) "
	    "((\"A\" NIL \"a\" \"x\")(NIL NIL \"b\" \"y\")) NIL NIL NIL NIL NIL)"));
	mime_free(&m);
	CHECK_EQ(mime_parse(&m, "", 0, NULL), 0);
	CHECK_EQ(mime_imap_envelope(&b, &m, 0, 0), 0);
	CHECK(out_is(&b, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"));
	/* an envelope of a part that is not there */
	CHECK_EQ(mime_imap_envelope(&b, &m, 5, 0), 0);
	CHECK(out_is(&b, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"));
	mime_free(&m);
	buf_free(&b);
}

/* 10,000 nested multiparts: bounded output, no deep recursion. */
static void
test_deep_output(void)
{
	size_t n = 10000, cap = n * 64 + 64, o = 0;
	char *s = malloc(cap);
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, cap - o,
		    "Content-Type: multipart/mixed; boundary=%05zu\r\n\r\n--%05zu\r\n",
		    i, i);
	struct mime_msg m;
	struct buf b = BUF_INIT(1 << 20);
	CHECK_EQ(mime_parse(&m, s, o, NULL), 0);
	CHECK_EQ(mime_imap_bodystructure(&b, &m, 0, true, 0), 0);
	CHECK(b.len < 64 * 1024);
	CHECK(b.len > 0 && b.data[0] == '(' && b.data[b.len - 1] == ')');
	buf_free(&b);
	mime_free(&m);
	free(s);
}

int
main(void)
{
	test_imapstr();
	test_bodystructure_edges();
	test_envelope();
	test_deep_output();
	return check_done("mime_imap");
}
