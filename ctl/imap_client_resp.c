/*
 * imap_client_resp: framing and tokens of an IMAP server's responses
 * (imap_client_resp.h). The bytes are a remote server's: every index is
 * checked against the response's length, every count against its limit.
 */
#include "imap_client_resp.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Does the line p[0..n) (without CRLF) end in a literal's "{N}" or
 * "{N+}"? More than 10 digits read as UINT64_MAX. */
static bool
literal_at_end(const char *p, size_t n, uint64_t *size)
{
	if (n < 3 || p[n - 1] != '}')
		return false;
	size_t i = n - 1;
	if (p[i - 1] == '+')
		i--;
	size_t digits_end = i;
	while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9')
		i--;
	size_t ndigits = digits_end - i;
	if (ndigits == 0 || i == 0 || p[i - 1] != '{')
		return false;
	if (ndigits > 10) {
		*size = UINT64_MAX;   /* over any limit */
		return true;
	}
	uint64_t v = 0;
	for (size_t k = i; k < digits_end; k++)
		v = v * 10 + (uint64_t)(p[k] - '0');
	*size = v;
	return true;
}

long
imapc_frame_next(struct imapc_frame *f, const char *buf, size_t len,
    size_t max_literal)
{
	for (;;) {
		if (f->seg >= len)
			return 0;           /* inside a literal, or nothing yet */
		size_t from = f->seg + f->scanned;
		const char *nl = memchr(buf + from, '\n', len - from);
		if (nl == NULL) {
			f->scanned = len - f->seg;
			return f->scanned > IMAPC_LINE_MAX ? -1 : 0;
		}
		size_t eol = (size_t)(nl - buf);
		if (eol - f->seg > IMAPC_LINE_MAX)
			return -1;
		size_t end = eol;
		if (end > f->seg && buf[end - 1] == '\r')
			end--;
		uint64_t n;
		if (!literal_at_end(buf + f->seg, end - f->seg, &n))
			return (long)(eol + 1);
		if (n > max_literal)
			return -1;
		f->seg = eol + 1 + (size_t)n;   /* the line goes on after it */
		f->scanned = 0;
	}
}

bool
imapc_is(const char *p, size_t len, const char *word)
{
	size_t n = strlen(word);
	return len == n && strncasecmp(p, word, n) == 0;
}

int
imapc_u32(const struct imapc_tok *t, uint32_t *out)
{
	if (t->type != IMAPC_ATOM || t->len == 0 || t->len > 10)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < t->len; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(t->p[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static struct imapc_tok *
push(struct imapc_resp *r, enum imapc_tok_type type, const char *p,
    size_t len)
{
	if (r->ntoks == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		if (cap > IMAPC_TOKENS_MAX)
			cap = IMAPC_TOKENS_MAX;
		if (r->ntoks == cap)
			return NULL;
		struct imapc_tok *t = realloc(r->toks, cap * sizeof(*t));
		if (t == NULL)
			return NULL;
		r->toks = t;
		r->cap = cap;
	}
	struct imapc_tok *t = &r->toks[r->ntoks++];
	t->type = type;
	t->p = p;
	t->len = len;
	t->close = 0;
	return t;
}

/* A quoted string at b[i] == '"', unescaped in place; the index after it
 * or 0 if malformed (no closing quote before the line ends). */
static size_t
quoted(struct imapc_resp *r, char *b, size_t i, size_t end)
{
	size_t j = i + 1, w = i + 1;
	while (j < end && b[j] != '"') {
		if (b[j] == '\\' && ++j >= end)
			return 0;
		if (b[j] == '\r' || b[j] == '\n')
			return 0;
		b[w++] = b[j++];
	}
	if (j >= end || push(r, IMAPC_STRING, b + i + 1, w - i - 1) == NULL)
		return 0;
	return j + 1;
}

/* A literal "{N}" CRLF and N bytes (or literal8 "~{N}") at b[i]; the index
 * after it, or 0. */
static size_t
literal(struct imapc_resp *r, char *b, size_t i, size_t end)
{
	if (b[i] == '~')
		i++;
	size_t j = i + 1;
	uint64_t n = 0;
	while (j < end && b[j] >= '0' && b[j] <= '9' && j - i <= 10)
		n = n * 10 + (uint64_t)(b[j++] - '0');
	if (j == i + 1 || j >= end)
		return 0;
	if (b[j] == '+')
		j++;
	if (j >= end || b[j++] != '}')
		return 0;
	if (j < end && b[j] == '\r')
		j++;
	if (j >= end || b[j++] != '\n' || n > end - j)
		return 0;
	if (push(r, IMAPC_STRING, b + j, (size_t)n) == NULL)
		return 0;
	return j + (size_t)n;
}

/* An atom at b[i]; brackets may hold spaces (BODY[HEADER.FIELDS (A)]).
 * The index after it, or 0. */
static size_t
atom(struct imapc_resp *r, char *b, size_t i, size_t end)
{
	size_t j = i, brackets = 0;
	for (; j < end; j++) {
		char c = b[j];
		if (c == '\r' || c == '\n')
			break;
		if (c == '[')
			brackets++;
		else if (c == ']' && brackets == 0)
			break;
		else if (c == ']')
			brackets--;
		else if (brackets == 0 && (c == ' ' || c == '(' || c == ')' ||
		    c == '"' || c == '{'))
			break;
	}
	if (j == i || brackets != 0)
		return 0;
	enum imapc_tok_type t = imapc_is(b + i, j - i, "NIL") ? IMAPC_NIL :
	    IMAPC_ATOM;
	return push(r, t, b + i, j - i) ? j : 0;
}

/* Tokens of b[i..end) up to the line's end (after its literals). */
static int
tokenize(struct imapc_resp *r, char *b, size_t i, size_t end)
{
	size_t open[IMAPC_DEPTH_MAX], depth = 0;
	while (i < end && b[i] != '\r' && b[i] != '\n') {
		char c = b[i];
		if (c == ' ') {
			i++;
			continue;
		}
		if (c == '(') {
			if (depth == IMAPC_DEPTH_MAX ||
			    push(r, IMAPC_OPEN, b + i, 1) == NULL)
				return -1;
			open[depth++] = r->ntoks - 1;
			i++;
		} else if (c == ')') {
			if (depth == 0 || push(r, IMAPC_CLOSE, b + i, 1) == NULL)
				return -1;
			r->toks[open[--depth]].close = r->ntoks - 1;
			i++;
		} else if (c == '"') {
			i = quoted(r, b, i, end);
		} else if (c == '{' || c == '~') {
			i = literal(r, b, i, end);
		} else {
			i = atom(r, b, i, end);
		}
		if (i == 0)
			return -1;
	}
	return depth == 0 ? 0 : -1;
}

static size_t
word_end(const char *b, size_t i, size_t end)
{
	while (i < end && b[i] != ' ' && b[i] != '\r' && b[i] != '\n')
		i++;
	return i;
}

static size_t
line_end(const char *b, size_t i, size_t end)
{
	while (i < end && b[i] != '\r' && b[i] != '\n')
		i++;
	return i;
}

/* resp-text: an optional "[code]" (its tokens) and the text. */
static int
status_text(struct imapc_resp *r, char *b, size_t i, size_t end)
{
	if (i < end && b[i] == ' ')
		i++;
	size_t eol = line_end(b, i, end);
	if (i < eol && b[i] == '[') {
		const char *close = memchr(b + i, ']', eol - i);
		if (close == NULL)
			return -1;
		size_t c = (size_t)(close - b);
		if (tokenize(r, b, i + 1, c) < 0)
			return -1;
		i = c + 1;
		if (i < eol && b[i] == ' ')
			i++;
	}
	r->text = b + i;
	r->textlen = eol - i;
	return 0;
}

static bool
is_status(const char *p, size_t n)
{
	return imapc_is(p, n, "OK") || imapc_is(p, n, "NO") ||
	    imapc_is(p, n, "BAD") || imapc_is(p, n, "PREAUTH") ||
	    imapc_is(p, n, "BYE");
}

int
imapc_resp_parse(struct imapc_resp *r, char *b, size_t len)
{
	r->ntoks = 0;
	r->has_number = r->status = false;
	r->name = r->text = "";
	r->namelen = r->textlen = 0;
	size_t i = word_end(b, 0, len);
	if (i == 0)
		return -1;
	r->tag = b;
	r->taglen = i;
	if (i == 1 && b[0] == '+') {
		r->kind = IMAPC_CONTINUE;
		if (i < len && b[i] == ' ')
			i++;
		r->text = b + i;
		r->textlen = line_end(b, i, len) - i;
		return 0;
	}
	r->kind = i == 1 && b[0] == '*' ? IMAPC_UNTAGGED : IMAPC_TAGGED;
	if (i >= len || b[i] != ' ')
		return -1;
	size_t s = i + 1, e = word_end(b, s, len);
	struct imapc_tok num = { IMAPC_ATOM, b + s, e - s, 0 };
	if (r->kind == IMAPC_UNTAGGED && imapc_u32(&num, &r->number) == 0) {
		r->has_number = true;
		if (e >= len || b[e] != ' ')
			return -1;
		s = e + 1;
		e = word_end(b, s, len);
	}
	if (e == s)
		return -1;
	r->name = b + s;
	r->namelen = e - s;
	if (is_status(r->name, r->namelen)) {
		r->status = true;
		return status_text(r, b, e, len);
	}
	return tokenize(r, b, e, len);
}

void
imapc_resp_free(struct imapc_resp *r)
{
	free(r->toks);
	r->toks = NULL;
	r->ntoks = r->cap = 0;
}
