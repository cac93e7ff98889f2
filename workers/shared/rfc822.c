/* rfc822: lexical readers for header values (see rfc822.h). */
#include "rfc822.h"

#include <string.h>

/* 1 = atext, 2 = atext that is also a MIME token char */
static const uint8_t char_class[256] = {
	['!'] = 3, ['#'] = 3, ['$'] = 3, ['%'] = 3, ['&'] = 3, ['\''] = 3,
	['*'] = 3, ['+'] = 3, ['-'] = 3, ['/'] = 1, ['='] = 1, ['?'] = 1,
	['^'] = 3, ['_'] = 3, ['`'] = 3, ['{'] = 3, ['|'] = 3, ['}'] = 3,
	['~'] = 3,
};

bool
rfc822_is_atext(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80)
		return true;
	return char_class[c] & 1;
}

bool
rfc822_is_token(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80 || c == '.')
		return true;
	return char_class[c] & 2;
}

void
rfc822_init(struct rfc822_cur *c, const void *p, size_t len)
{
	c->p = p;
	c->end = c->p + len;
	c->last_comment = NULL;
}

static int
more(const struct rfc822_cur *c)
{
	return c->p < c->end ? 1 : 0;
}

/* Cursor at '('. Comments nest; a quoted-pair escapes one byte. */
static int
skip_comment(struct rfc822_cur *c)
{
	int level = 1;
	struct buf *lc = c->last_comment;
	if (lc != NULL)
		buf_reset(lc);
	c->p++;
	while (c->p < c->end) {
		uint8_t ch = *c->p++;
		if (ch == '(') {
			level++;
		} else if (ch == ')') {
			if (--level == 0)
				return more(c);
		} else if (ch == '\\' && c->p < c->end && *c->p != '\r' &&
		    *c->p != '\n') {
			ch = *c->p++;
		} else if (ch == '\r' || ch == '\n') {
			continue;
		}
		if (lc != NULL)
			buf_append_byte(lc, ch);
	}
	return -1;   /* missing ')' */
}

int
rfc822_skip_cfws(struct rfc822_cur *c)
{
	while (c->p < c->end) {
		uint8_t ch = *c->p;
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			c->p++;
		} else if (ch == '(') {
			if (skip_comment(c) < 0)
				return -1;
		} else {
			break;
		}
	}
	return more(c);
}

int
rfc822_atom(struct rfc822_cur *c, struct buf *out)
{
	const uint8_t *start = c->p;
	while (c->p < c->end && rfc822_is_atext(*c->p))
		c->p++;
	if (c->p == start)
		return -1;
	if (buf_append(out, start, (size_t)(c->p - start)) < 0)
		return -1;
	return rfc822_skip_cfws(c);
}

int
rfc822_dot_atom(struct rfc822_cur *c, struct buf *out)
{
	for (;;) {
		int r = rfc822_atom(c, out);
		if (r <= 0)
			return r;
		if (*c->p != '.')
			return 1;
		c->p++;
		if (buf_append_byte(out, '.') < 0 || rfc822_skip_cfws(c) <= 0)
			return -1;
	}
}

int
rfc822_quoted(struct rfc822_cur *c, struct buf *out)
{
	c->p++;
	const uint8_t *start = c->p;
	while (c->p < c->end) {
		uint8_t ch = *c->p;
		if (ch == '"') {
			if (buf_append(out, start, (size_t)(c->p - start)) < 0)
				return -1;
			c->p++;
			return rfc822_skip_cfws(c);
		}
		if (ch == '\\' && c->p + 1 < c->end && c->p[1] != '\r' &&
		    c->p[1] != '\n') {
			if (buf_append(out, start, (size_t)(c->p - start)) < 0)
				return -1;
			c->p++;
			start = c->p;   /* the escaped byte starts the next run */
			c->p++;
			continue;
		}
		if (ch == '\n') {
			/* folding inside the quotes: drop the (CR)LF */
			size_t len = (size_t)(c->p - start);
			if (len > 0 && start[len - 1] == '\r')
				len--;
			if (buf_append(out, start, len) < 0)
				return -1;
			start = c->p + 1;
		}
		c->p++;
	}
	return -1;   /* missing '"' */
}

/* atext and '.' runs, for obs-phrase */
static int
atom_or_dot(struct rfc822_cur *c, struct buf *out)
{
	const uint8_t *start = c->p;
	while (c->p < c->end && (rfc822_is_atext(*c->p) || *c->p == '.'))
		c->p++;
	if (buf_append(out, start, (size_t)(c->p - start)) < 0)
		return -1;
	return rfc822_skip_cfws(c);
}

int
rfc822_phrase(struct rfc822_cur *c, struct buf *out)
{
	if (c->p >= c->end)
		return 0;
	if (*c->p == '.')
		return -1;
	for (;;) {
		int r = *c->p == '"' ? rfc822_quoted(c, out) :
		    atom_or_dot(c, out);
		if (r <= 0)
			return r;
		uint8_t ch = *c->p;
		if (!rfc822_is_atext(ch) && ch != '"' && ch != '.')
			return 1;
		if (buf_append_byte(out, ' ') < 0)
			return -1;
	}
}

static int
domain_literal(struct rfc822_cur *c, struct buf *out)
{
	const uint8_t *start = c->p++;
	while (c->p < c->end) {
		uint8_t ch = *c->p;
		if (ch == '[')
			return -1;
		if (ch == ']') {
			c->p++;
			if (buf_append(out, start, (size_t)(c->p - start)) < 0)
				return -1;
			return rfc822_skip_cfws(c);
		}
		if (ch == '\n') {
			size_t len = (size_t)(c->p - start);
			if (len > 0 && start[len - 1] == '\r')
				len--;
			if (buf_append(out, start, len) < 0)
				return -1;
			start = c->p + 1;
		} else if (ch == '\\' && c->p + 1 < c->end && c->p[1] != '\r'
		    && c->p[1] != '\n') {
			c->p++;   /* the backslash stays in the output */
		}
		c->p++;
	}
	return -1;
}

int
rfc822_domain(struct rfc822_cur *c, struct buf *out)
{
	c->p++;   /* '@' */
	if (rfc822_skip_cfws(c) <= 0)
		return -1;
	if (*c->p == '[')
		return domain_literal(c, out);
	return rfc822_dot_atom(c, out);
}

int
rfc822_mime_token(struct rfc822_cur *c, struct buf *out)
{
	const uint8_t *start = c->p;
	while (c->p < c->end && rfc822_is_token(*c->p))
		c->p++;
	if (buf_append(out, start, (size_t)(c->p - start)) < 0)
		return -1;
	return rfc822_skip_cfws(c);
}

int
rfc822_unfold(struct buf *out, const uint8_t *p, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\r' && p[i] != '\n')
			continue;
		if (buf_append(out, p + run, i - run) < 0)
			return -1;
		run = i + 1;
		if (i + 1 < n && p[i + 1] != ' ' && p[i + 1] != '\t' &&
		    p[i + 1] != '\r' && p[i + 1] != '\n' &&
		    buf_append_byte(out, ' ') < 0)
			return -1;
	}
	return buf_append(out, p + run, n - run);
}
