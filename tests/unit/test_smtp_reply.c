/* Unit test: submitd's reader of the relay's replies
 * (workers/submit/smtp_reply.h): multi-line replies, codes that must
 * agree, EHLO keywords, bounds, and the line reader across reads. */
#include "check.h"
#include "smtp_reply.h"

#include <string.h>

/* Feed the lines of text (separated by '\n'); the last result. */
static enum smtp_feed
feed(struct smtp_reply *r, const char *text)
{
	enum smtp_feed f = SMTP_BAD;
	smtp_reply_init(r);
	for (const char *p = text; *p; ) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		f = smtp_reply_line(r, p, n);
		if (f != SMTP_MORE)
			return f;
		p += n + (nl != NULL);
	}
	return f;
}

static void
test_replies(void)
{
	struct smtp_reply r;
	CHECK_EQ(feed(&r, "250 2.0.0 Ok: queued as 1234"), SMTP_DONE);
	CHECK_EQ(r.code, 250);
	CHECK(strcmp(r.text, "250 2.0.0 Ok: queued as 1234") == 0);
	CHECK_EQ(feed(&r, "354"), SMTP_DONE);      /* a bare code */
	CHECK_EQ(r.code, 354);
	CHECK_EQ(feed(&r, "250-relay.test\n250-PIPELINING\n250-STARTTLS\n"
	    "250-AUTH LOGIN PLAIN\n250 8BITMIME"), SMTP_DONE);
	CHECK_EQ(r.lines, 5);
	CHECK_EQ(r.ext, SMTP_EXT_STARTTLS | SMTP_EXT_AUTH_PLAIN | SMTP_EXT_8BITMIME);
	CHECK_EQ(feed(&r, "250-relay.test\n250-DSN\n250 SIZE"), SMTP_DONE);
	CHECK_EQ(r.ext, SMTP_EXT_DSN);
	CHECK_EQ(feed(&r, "250-relay.test\n250-DSNX\n250 SIZE"), SMTP_DONE);
	CHECK_EQ(r.ext, 0);
	CHECK(strcmp(r.text, "250-relay.test") == 0);
	CHECK_EQ(feed(&r, "250-x\n250-AUTH PLAINX\n250 ok"), SMTP_DONE);
	CHECK_EQ(r.ext, 0);
	/* control bytes in the text are kept as '?' */
	char bad[] = "550 no\x1b[31m\x7f";
	CHECK_EQ(smtp_reply_line((smtp_reply_init(&r), &r), bad, sizeof(bad) - 1),
	    SMTP_DONE);
	CHECK(strcmp(r.text, "550 no?[31m?") == 0);
}

static void
test_refusals(void)
{
	struct smtp_reply r;
	const char *const bad[] = {
		"25", "2500 x", "250x", "abc def", "150 not a final class",
		"600 beyond", "260 no such code", "250-a\n251 another code",
		"250\t tab", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(feed(&r, bad[i]), SMTP_BAD);
	/* a 65th line */
	smtp_reply_init(&r);
	for (int i = 0; i < SMTP_REPLY_LINES_MAX; i++)
		CHECK_EQ(smtp_reply_line(&r, "250-x", 5), SMTP_MORE);
	CHECK_EQ(smtp_reply_line(&r, "250 x", 5), SMTP_BAD);
	/* a line over the limit */
	static char longline[SMTP_LINE_MAX];
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "250 ", 4);
	smtp_reply_init(&r);
	CHECK_EQ(smtp_reply_line(&r, longline, sizeof(longline)), SMTP_BAD);
	/* nothing after the last line */
	CHECK_EQ(feed(&r, "250 ok"), SMTP_DONE);
	CHECK_EQ(smtp_reply_line(&r, "250 again", 9), SMTP_BAD);
}

static void
test_lines(void)
{
	static struct smtp_lines l;
	const char *line;
	size_t len, room;
	smtp_lines_init(&l);
	char *p = smtp_lines_room(&l, &room);
	memcpy(p, "220 hi\r\n250-a\n25", 16);
	smtp_lines_filled(&l, 16);
	CHECK_EQ(smtp_lines_next(&l, &line, &len), 1);
	CHECK(len == 6 && memcmp(line, "220 hi", 6) == 0);
	CHECK_EQ(smtp_lines_next(&l, &line, &len), 1);
	CHECK(len == 5 && memcmp(line, "250-a", 5) == 0);
	CHECK_EQ(smtp_lines_next(&l, &line, &len), 0);
	p = smtp_lines_room(&l, &room);
	memcpy(p, "0 b\r\n", 5);
	smtp_lines_filled(&l, 5);
	CHECK_EQ(smtp_lines_next(&l, &line, &len), 1);
	CHECK(len == 5 && memcmp(line, "250 b", 5) == 0);
	/* a line that never ends */
	smtp_lines_init(&l);
	p = smtp_lines_room(&l, &room);
	memset(p, 'x', SMTP_LINE_MAX);
	smtp_lines_filled(&l, SMTP_LINE_MAX);
	CHECK_EQ(smtp_lines_next(&l, &line, &len), -1);
}

int
main(void)
{
	test_replies();
	test_refusals();
	test_lines();
	return check_done("smtp_reply");
}
