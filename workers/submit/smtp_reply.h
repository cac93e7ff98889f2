/*
 * smtp_reply: the reader of the relay's replies (RFC 5321 4.2). Bytes in,
 * one complete reply out: lines of "DDD-text" ending with "DDD text" (or a
 * bare "DDD"), every line with the same code, each at most
 * SMTP_LINE_MAX bytes, at most SMTP_REPLY_LINES_MAX lines. The text kept
 * (the first line's, for the outbox's record and the log) is bounded and
 * printable: other bytes become '?'. Anything else is a protocol error:
 * the connection is dropped and the message retried later.
 */
#ifndef CLOISTER_SMTP_REPLY_H
#define CLOISTER_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#define SMTP_LINE_MAX 1000          /* RFC 5321 4.5.3.1.5, with CRLF */
#define SMTP_REPLY_LINES_MAX 64     /* an EHLO reply lists extensions */
#define SMTP_REPLY_TEXT_MAX 511     /* bytes of text kept */

/* EHLO keywords submitd acts on. */
#define SMTP_EXT_STARTTLS 0x1u
#define SMTP_EXT_AUTH_PLAIN 0x2u
#define SMTP_EXT_8BITMIME 0x4u
#define SMTP_EXT_DSN 0x8u              /* RFC 3461 */
#define SMTP_EXT_AUTH_SCRAM256 0x10u   /* AUTH ... SCRAM-SHA-256 (RFC 7677) */

struct smtp_reply {
	int code;                    /* 200..599 once done */
	bool done;
	unsigned lines;
	unsigned ext;                /* SMTP_EXT_*, of continuation lines (EHLO) */
	size_t textlen;
	char text[SMTP_REPLY_TEXT_MAX + 1];   /* "250 2.0.0 Ok: queued", NUL-ended */
};

enum smtp_feed {
	SMTP_MORE = 0,       /* a continuation line: feed the next */
	SMTP_DONE = 1,       /* the last line: r is complete */
	SMTP_BAD = -1,       /* not an SMTP reply */
};

void smtp_reply_init(struct smtp_reply *r);
/* One line without its CRLF (len bytes, may hold any byte). */
enum smtp_feed smtp_reply_line(struct smtp_reply *r, const char *line,
    size_t len);

/* A line reader over bytes received: append with smtp_lines_room/
 * smtp_lines_filled, take lines with smtp_lines_next. A line longer than
 * SMTP_LINE_MAX is an error. */
struct smtp_lines {
	char buf[SMTP_LINE_MAX * 2];
	size_t len, off;
};
void smtp_lines_init(struct smtp_lines *l);
/* Where the next bytes go and how many fit (compacts first). */
char *smtp_lines_room(struct smtp_lines *l, size_t *room);
void smtp_lines_filled(struct smtp_lines *l, size_t n);
/* 1: line and len hold the next line (CRLF or LF removed); 0: need more
 * bytes; -1: a line too long. */
int smtp_lines_next(struct smtp_lines *l, const char **line, size_t *len);

#endif
