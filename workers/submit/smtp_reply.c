/* smtp_reply: the relay's replies, read and bounded (see smtp_reply.h). */
#include "smtp_reply.h"

#include <string.h>
#include <strings.h>

void
smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Keep the first line's text, printable only. */
static void
keep_text(struct smtp_reply *r, const char *line, size_t len)
{
	size_t n = len < SMTP_REPLY_TEXT_MAX ? len : SMTP_REPLY_TEXT_MAX;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];
		r->text[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	r->text[n] = '\0';
	r->textlen = n;
}

/* Whether "AUTH m1 m2 ..." (kw, len) lists mechanism mech. */
static bool
has_mech(const char *kw, size_t len, const char *mech)
{
	size_t m = strlen(mech);
	for (size_t i = 5; i + m <= len; i++)
		if ((i == 5 || kw[i - 1] == ' ') && strncasecmp(kw + i, mech, m) == 0
		    && (i + m == len || kw[i + m] == ' '))
			return true;
	return false;
}

/* The EHLO keyword of a continuation line ("250-AUTH PLAIN LOGIN"). */
static void
note_ext(struct smtp_reply *r, const char *kw, size_t len)
{
	if (len == 8 && strncasecmp(kw, "STARTTLS", 8) == 0)
		r->ext |= SMTP_EXT_STARTTLS;
	else if (len == 8 && strncasecmp(kw, "8BITMIME", 8) == 0)
		r->ext |= SMTP_EXT_8BITMIME;
	else if (len == 3 && strncasecmp(kw, "DSN", 3) == 0)
		r->ext |= SMTP_EXT_DSN;
	else if (len >= 5 && strncasecmp(kw, "AUTH ", 5) == 0) {
		if (has_mech(kw, len, "PLAIN"))
			r->ext |= SMTP_EXT_AUTH_PLAIN;
		if (has_mech(kw, len, "SCRAM-SHA-256"))
			r->ext |= SMTP_EXT_AUTH_SCRAM256;
	}
}

enum smtp_feed
smtp_reply_line(struct smtp_reply *r, const char *line, size_t len)
{
	if (r->done || len < 3 || len > SMTP_LINE_MAX - 2 ||
	    r->lines >= SMTP_REPLY_LINES_MAX)
		return SMTP_BAD;
	if (!is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
	    line[0] < '2' || line[0] > '5' || line[1] > '5')
		return SMTP_BAD;
	int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->lines > 0 && code != r->code)
		return SMTP_BAD;
	char sep = len > 3 ? line[3] : ' ';
	if (sep != ' ' && sep != '-')
		return SMTP_BAD;
	if (r->lines == 0) {
		r->code = code;
		keep_text(r, line, len);
	} else if (len > 4) {
		note_ext(r, line + 4, len - 4);
	}
	r->lines++;
	if (sep == '-')
		return SMTP_MORE;
	r->done = true;
	return SMTP_DONE;
}

void
smtp_lines_init(struct smtp_lines *l)
{
	l->len = l->off = 0;
}

char *
smtp_lines_room(struct smtp_lines *l, size_t *room)
{
	if (l->off > 0) {
		memmove(l->buf, l->buf + l->off, l->len - l->off);
		l->len -= l->off;
		l->off = 0;
	}
	*room = sizeof(l->buf) - l->len;
	return l->buf + l->len;
}

void
smtp_lines_filled(struct smtp_lines *l, size_t n)
{
	l->len += n;
}

int
smtp_lines_next(struct smtp_lines *l, const char **line, size_t *len)
{
	const char *p = l->buf + l->off;
	size_t have = l->len - l->off;
	const char *nl = memchr(p, '\n', have);
	if (nl == NULL)
		return have >= SMTP_LINE_MAX ? -1 : 0;
	size_t n = (size_t)(nl - p);
	if (n + 1 > SMTP_LINE_MAX)
		return -1;
	*line = p;
	*len = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
	l->off += n + 1;
	return 1;
}
