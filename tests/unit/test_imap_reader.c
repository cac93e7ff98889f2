/* Unit tests for workers/imap/imap_reader: command framing, literals,
 * limits, and what happens to input past them. */
#include "check.h"
#include "imap_reader.h"

#include <string.h>
#include <unistd.h>

static struct imap_limits lim = { 200, 1000, 5000, 8000, 10, 32, 1000 };

/* Feed all of s (in pieces of step bytes); collect events in order. */
struct run {
	enum imap_rd_event ev[16];
	size_t nev;
	size_t left;        /* bytes not consumed when the run stopped */
};

static void
feed(struct imap_reader *r, const char *s, size_t n, size_t step,
    struct run *out, bool stop_on_command)
{
	memset(out, 0, sizeof(*out));
	size_t off = 0;
	while (off < n && out->nev < 16) {
		size_t chunk = n - off < step ? n - off : step;
		size_t used;
		enum imap_rd_event ev = imap_reader_feed(r,
		    (const uint8_t *)s + off, chunk, &used);
		off += used;
		if (ev != RD_MORE) {
			out->ev[out->nev++] = ev;
			if (ev == RD_FATAL || (stop_on_command &&
			    (ev == RD_COMMAND || ev == RD_REJECT)))
				break;
		}
	}
	out->left = n - off;
}

static bool
text_is(struct imap_reader *r, const char *want)
{
	size_t len;
	const uint8_t *t = imap_reader_text(r, &len);
	return len == strlen(want) && memcmp(t, want, len) == 0;
}

static void
test_lines(void)
{
	struct imap_reader r;
	imap_reader_init(&r, &lim);
	struct run x;
	const char *in = "a1 NOOP\r\na2 CAPABILITY\r\n";
	/* byte by byte and all at once give the same commands */
	for (size_t step = 1; step <= 64; step *= 8) {
		feed(&r, in, strlen(in), step, &x, true);
		CHECK_EQ(x.nev, 1);
		CHECK_EQ(x.ev[0], RD_COMMAND);
		CHECK(text_is(&r, "a1 NOOP\r\n"));
		CHECK_EQ(x.left, strlen("a2 CAPABILITY\r\n"));
		imap_reader_next(&r);
		CHECK(imap_reader_idle(&r));
		feed(&r, in + 9, strlen(in) - 9, step, &x, true);
		CHECK_EQ(x.ev[0], RD_COMMAND);
		CHECK(text_is(&r, "a2 CAPABILITY\r\n"));
		imap_reader_next(&r);
	}
	/* a bare LF ends a line too */
	feed(&r, "a3 NOOP\n", 8, 100, &x, true);
	CHECK_EQ(x.ev[0], RD_COMMAND);
	imap_reader_next(&r);
	imap_reader_free(&r);
}

static void
test_literals(void)
{
	struct imap_reader r;
	imap_reader_init(&r, &lim);
	struct run x;
	/* synchronizing: a continuation after each announcement */
	const char *in = "a LOGIN {3}\r\nbob {4}\r\npass\r\n";
	feed(&r, in, strlen(in), 100, &x, true);
	CHECK_EQ(x.nev, 3);
	CHECK_EQ(x.ev[0], RD_CONTINUE);
	CHECK_EQ(x.ev[1], RD_CONTINUE);
	CHECK_EQ(x.ev[2], RD_COMMAND);
	CHECK(text_is(&r, in));
	imap_reader_next(&r);
	/* non-synchronizing: none */
	in = "a LOGIN {3+}\r\nbob {4+}\r\npass\r\n";
	feed(&r, in, strlen(in), 3, &x, true);
	CHECK_EQ(x.nev, 1);
	CHECK_EQ(x.ev[0], RD_COMMAND);
	CHECK(text_is(&r, in));
	imap_reader_next(&r);
	/* a literal's bytes are not scanned: CRLF and "{9}" inside it */
	in = "a LOGIN {9+}\r\n{9}\r\nab\"\r {1+}\r\nx\r\n";
	feed(&r, in, strlen(in), 1, &x, true);
	CHECK_EQ(x.nev, 1);
	CHECK_EQ(x.ev[0], RD_COMMAND);
	CHECK(text_is(&r, in));
	imap_reader_next(&r);
	/* {0} */
	in = "a LOGIN {0}\r\n {0+}\r\n\r\n";
	feed(&r, in, strlen(in), 100, &x, true);
	CHECK_EQ(x.nev, 2);
	CHECK_EQ(x.ev[0], RD_CONTINUE);
	CHECK_EQ(x.ev[1], RD_COMMAND);
	imap_reader_next(&r);
	/* "{3}" inside a quoted string is not a literal */
	in = "a SEARCH SUBJECT \"x {3}\r\n";
	feed(&r, in, strlen(in), 100, &x, true);
	CHECK_EQ(x.ev[0], RD_COMMAND);
	imap_reader_next(&r);
	in = "a SEARCH SUBJECT \"\\\" {3}\"\r\n";
	feed(&r, in, strlen(in), 100, &x, true);
	CHECK_EQ(x.ev[0], RD_COMMAND);
	imap_reader_next(&r);
	/* ... but after a closed one it is */
	in = "a SEARCH SUBJECT \"x\" {3}\r\n";
	feed(&r, in, strlen(in), 100, &x, true);
	CHECK_EQ(x.ev[0], RD_CONTINUE);
	imap_reader_next(&r);
	imap_reader_free(&r);
}

static void
test_append_spool(void)
{
	struct imap_reader r;
	imap_reader_init(&r, &lim);
	struct run x;
	char msg[3000];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (char)('a' + i % 26);
	char in[4000];
	int n = snprintf(in, sizeof(in), "A1 APPEND INBOX (\\Seen) {%zu+}\r\n",
	    sizeof(msg));
	memcpy(in + n, msg, sizeof(msg));
	n += (int)sizeof(msg);
	memcpy(in + n, " {5+}\r\nhello\r\n", 14);
	n += 14;
	feed(&r, in, (size_t)n, 333, &x, true);
	CHECK_EQ(x.nev, 1);
	CHECK_EQ(x.ev[0], RD_COMMAND);
	/* the big literal went to the spool; the small one stayed inline */
	CHECK_EQ(imap_reader_next_ext(&r), 1);
	const struct imap_ext_literal *e = imap_reader_ext(&r, 0);
	CHECK(e != NULL && e->size == sizeof(msg) && e->spool_off == 0);
	CHECK(e != NULL && !e->has_nul && !e->binary);
	CHECK(text_is(&r, "A1 APPEND INBOX (\\Seen) {3000+}\r\n {5+}\r\nhello\r\n"));
	CHECK(e != NULL && e->text_pos == strlen("A1 APPEND INBOX (\\Seen) "));
	char back[3000];
	int fd = imap_reader_spool_fd(&r);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, back, sizeof(back), 0), (ssize_t)sizeof(back));
	CHECK(memcmp(back, msg, sizeof(msg)) == 0);
	imap_reader_next(&r);
	/* literal8 with a NUL: flagged */
	n = snprintf(in, sizeof(in), "A2 APPEND INBOX ~{2000}\r\n");
	memset(in + n, 0, 2000);
	n += 2000;
	memcpy(in + n, "\r\n", 2);
	n += 2;
	feed(&r, in, (size_t)n, 4000, &x, true);
	CHECK_EQ(x.ev[0], RD_CONTINUE);
	CHECK_EQ(x.ev[1], RD_COMMAND);
	e = imap_reader_ext(&r, 0);
	CHECK(e != NULL && e->binary && e->has_nul);
	imap_reader_next(&r);
	imap_reader_free(&r);
}

static void
test_limits(void)
{
	struct imap_reader r;
	imap_reader_init(&r, &lim);
	struct run x;
	char in[9000];
	/* a line past max_line: read to its end, rejected with its tag, and
	 * the next command is fine */
	int n = snprintf(in, sizeof(in), "t1 NOOP ");
	memset(in + n, 'x', 500);
	n += 500;
	n += snprintf(in + n, sizeof(in) - (size_t)n, "\r\nt2 NOOP\r\n");
	feed(&r, in, (size_t)n, 7, &x, true);
	CHECK_EQ(x.ev[0], RD_REJECT);
	CHECK(r.tag_valid && strcmp(r.tag, "t1") == 0);
	CHECK_EQ(r.reason, RDR_LINE_TOO_LONG);
	CHECK(!r.reject_no);
	CHECK_EQ(x.left, strlen("t2 NOOP\r\n"));
	imap_reader_next(&r);
	feed(&r, "t2 NOOP\r\n", 9, 100, &x, true);
	CHECK_EQ(x.ev[0], RD_COMMAND);
	imap_reader_next(&r);
	/* a long line that ends in a non-synchronizing literal: the literal
	 * is skipped too (it could hold anything, "t9 LOGOUT" included) */
	n = snprintf(in, sizeof(in), "t3 LOGIN ");
	memset(in + n, 'y', 300);
	n += 300;
	n += snprintf(in + n, sizeof(in) - (size_t)n,
	    " {11+}\r\nt9 LOGOUT\r\n\r\nt4 NOOP\r\n");
	feed(&r, in, (size_t)n, 5, &x, true);
	CHECK_EQ(x.ev[0], RD_REJECT);
	CHECK(strcmp(r.tag, "t3") == 0);
	CHECK_EQ(x.left, strlen("t4 NOOP\r\n"));
	imap_reader_next(&r);
	/* ... and with a synchronizing one, no continuation is sent */
	n = snprintf(in, sizeof(in), "t5 LOGIN ");
	memset(in + n, 'y', 300);
	n += 300;
	n += snprintf(in + n, sizeof(in) - (size_t)n, " {11}\r\n");
	feed(&r, in, (size_t)n, 1000, &x, true);
	CHECK_EQ(x.nev, 1);
	CHECK_EQ(x.ev[0], RD_REJECT);
	imap_reader_next(&r);
	/* an inline literal past max_command: synchronizing -> BAD, the
	 * session goes on; non-synchronizing -> fatal */
	const char *s = "t6 LOGIN {5000}\r\n";
	feed(&r, s, strlen(s), 100, &x, true);
	CHECK_EQ(x.ev[0], RD_REJECT);
	CHECK_EQ(r.reason, RDR_COMMAND_TOO_LONG);
	imap_reader_next(&r);
	s = "t7 LOGIN {5000+}\r\n";
	feed(&r, s, strlen(s), 100, &x, true);
	CHECK_EQ(x.ev[0], RD_FATAL);
	CHECK(strcmp(r.tag, "t7") == 0);
	imap_reader_next(&r);
	/* APPEND: message literals up to max_literal (5000), NO [TOOBIG]
	 * above it */
	s = "t8 APPEND INBOX {5001}\r\n";
	feed(&r, s, strlen(s), 100, &x, true);
	CHECK_EQ(x.ev[0], RD_REJECT);
	CHECK(r.reject_no);
	CHECK_EQ(r.reason, RDR_LITERAL_TOO_BIG);
	imap_reader_next(&r);
	s = "t9 APPEND INBOX {5001+}\r\n";
	feed(&r, s, strlen(s), 100, &x, true);
	CHECK_EQ(x.ev[0], RD_FATAL);
	imap_reader_next(&r);
	/* absurd and negative sizes */
	s = "u1 APPEND INBOX {99999999999999999999999}\r\n";
	feed(&r, s, strlen(s), 100, &x, true);
	CHECK_EQ(x.ev[0], RD_REJECT);
	CHECK_EQ(r.reason, RDR_LITERAL_SIZE);
	imap_reader_next(&r);
	s = "u2 LOGIN {-5}\r\n";   /* not a literal: an ordinary (bad) line */
	feed(&r, s, strlen(s), 100, &x, true);
	CHECK_EQ(x.ev[0], RD_COMMAND);
	imap_reader_next(&r);
	/* too many literals in one command */
	char many[400];
	n = snprintf(many, sizeof(many), "u3 X");
	for (int i = 0; i < 11; i++)
		n += snprintf(many + n, sizeof(many) - (size_t)n, " {1+}\r\nz");
	n += snprintf(many + n, sizeof(many) - (size_t)n, "\r\n");
	feed(&r, many, (size_t)n, 100, &x, true);
	CHECK_EQ(x.ev[0], RD_FATAL);
	CHECK_EQ(r.reason, RDR_TOO_MANY_LITERALS);
	imap_reader_next(&r);
	/* the spool total over MULTIAPPEND */
	n = snprintf(in, sizeof(in), "u4 APPEND INBOX {4000+}\r\n");
	memset(in + n, 'm', 4000);
	n += 4000;
	n += snprintf(in + n, sizeof(in) - (size_t)n, " {4500}\r\n");
	feed(&r, in, (size_t)n, 1000, &x, true);
	CHECK_EQ(x.ev[0], RD_REJECT);
	CHECK_EQ(r.reason, RDR_LITERAL_TOO_BIG);
	imap_reader_next(&r);
	/* endless garbage without LF: bounded, then fatal */
	static char junk[20000];
	memset(junk, 'g', sizeof(junk));
	size_t total = 0;
	enum imap_rd_event ev = RD_MORE;
	for (int i = 0; i < 1000 && ev == RD_MORE; i++) {
		size_t used;
		ev = imap_reader_feed(&r, (const uint8_t *)junk, sizeof(junk),
		    &used);
		total += used;
	}
	CHECK_EQ(ev, RD_FATAL);
	CHECK(total <= lim.max_command + lim.max_literal + sizeof(junk));
	CHECK(r.text.cap <= 1024);
	imap_reader_next(&r);
	imap_reader_free(&r);
}

/* Before login: no spool, no continuation but for LOGIN's small
 * literals, short lines; after it, the configured limits again. */
static void
test_prelogin(void)
{
	static const struct imap_limits big = { 64 * 1024, 1024 * 1024,
		50 * 1024 * 1024, 200 * 1024 * 1024, 1000, 32, 10000 };
	struct imap_reader r;
	imap_reader_init(&r, &big);
	imap_reader_set_prelogin(&r, true);
	struct run x;
	/* APPEND's message literal: BAD at once, no "+", no memfd */
	const char *s = "p1 APPEND INBOX {100000000}\r\n";
	feed(&r, s, strlen(s), 100, &x, true);
	CHECK_EQ(x.nev, 1);
	CHECK_EQ(x.ev[0], RD_REJECT);
	CHECK(!r.reject_no);
	CHECK(strcmp(r.tag, "p1") == 0);
	CHECK_EQ(imap_reader_spool_fd(&r), -1);
	imap_reader_next(&r);
	/* ... even a small one */
	s = "p2 APPEND INBOX {10}\r\n";
	feed(&r, s, strlen(s), 3, &x, true);
	CHECK_EQ(x.ev[0], RD_REJECT);
	CHECK_EQ(r.reason, RDR_PRELOGIN_LITERAL);
	imap_reader_next(&r);
	/* a small non-synchronizing one is read inline (LITERAL-), never
	 * spooled; the command then fails in the dispatcher */
	static char in[40000];
	int n = snprintf(in, sizeof(in), "p3 APPEND INBOX {2000+}\r\n");
	memset(in + n, 'm', 2000);
	n += 2000;
	n += snprintf(in + n, sizeof(in) - (size_t)n, "\r\n");
	feed(&r, in, (size_t)n, 700, &x, true);
	CHECK_EQ(x.ev[0], RD_COMMAND);
	CHECK_EQ(imap_reader_next_ext(&r), 0);
	CHECK_EQ(imap_reader_spool_fd(&r), -1);
	imap_reader_next(&r);
	/* LOGIN gets its continuation up to the cap, BAD above it */
	s = "p4 LOGIN {5}\r\n";
	feed(&r, s, strlen(s), 100, &x, true);
	CHECK_EQ(x.ev[0], RD_CONTINUE);
	feed(&r, "alice {4}\r\n", 11, 100, &x, true);
	CHECK_EQ(x.ev[0], RD_CONTINUE);
	feed(&r, "pass\r\n", 6, 100, &x, true);
	CHECK_EQ(x.ev[0], RD_COMMAND);
	CHECK(text_is(&r, "p4 LOGIN {5}\r\nalice {4}\r\npass\r\n"));
	imap_reader_next(&r);
	n = snprintf(in, sizeof(in), "p5 LOGIN {%d}\r\n",
	    IMAP_PRELOGIN_LITERAL_MAX + 1);
	feed(&r, in, (size_t)n, 100, &x, true);
	CHECK_EQ(x.ev[0], RD_REJECT);
	CHECK_EQ(r.reason, RDR_LITERAL_TOO_BIG);
	imap_reader_next(&r);
	/* a non-synchronizing literal above the cap cannot be refused: its
	 * bytes are coming. Fatal */
	s = "p6 APPEND INBOX {100000+}\r\n";
	feed(&r, s, strlen(s), 100, &x, true);
	CHECK_EQ(x.ev[0], RD_FATAL);
	CHECK_EQ(imap_reader_spool_fd(&r), -1);
	imap_reader_next(&r);
	/* a line past the pre-login limit: BAD, and the session goes on */
	n = snprintf(in, sizeof(in), "p7 ID ");
	memset(in + n, 'x', IMAP_PRELOGIN_LINE_MAX + 100);
	n += IMAP_PRELOGIN_LINE_MAX + 100;
	n += snprintf(in + n, sizeof(in) - (size_t)n, "\r\n");
	feed(&r, in, (size_t)n, 1000, &x, true);
	CHECK_EQ(x.ev[0], RD_REJECT);
	CHECK_EQ(r.reason, RDR_LINE_TOO_LONG);
	CHECK(r.text.cap <= IMAP_PRELOGIN_COMMAND_MAX + 1);
	imap_reader_next(&r);
	/* ... far past it: the session ends */
	memset(in, 'y', sizeof(in));
	feed(&r, in, sizeof(in), 4096, &x, true);
	CHECK_EQ(x.ev[0], RD_FATAL);
	CHECK(r.text.cap <= IMAP_PRELOGIN_COMMAND_MAX + 1);
	imap_reader_next(&r);
	/* logged in: the configured limits again, APPEND spools */
	imap_reader_set_prelogin(&r, false);
	s = "p8 APPEND INBOX {2000}\r\n";
	feed(&r, s, strlen(s), 100, &x, true);
	CHECK_EQ(x.ev[0], RD_CONTINUE);
	CHECK(imap_reader_spool_fd(&r) >= 0);
	imap_reader_next(&r);
	imap_reader_free(&r);
}

int
main(void)
{
	test_prelogin();
	test_lines();
	test_literals();
	test_append_spool();
	test_limits();
	return check_done("imap_reader");
}
