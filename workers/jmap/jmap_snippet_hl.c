/* jmap_snippet_hl: find search terms in text and mark them (see the
 * header). Works on code points: the text is decoded once (bounded by
 * HL_TEXT_MAX), matched folded, and written back escaped. */
#include "jmap_snippet_hl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TERM_CPS 64              /* code points of a term that count */
#define LEAD_CPS 30              /* context kept before a preview's match */
/* Code point comparisons one text may cost: terms with long common
 * prefixes over a text made of them are the worst case, and a snippet
 * is not worth more than a few milliseconds. */
#define WORK_MAX (4u * 1024 * 1024)

/* One code point of p (len bytes) at *i, advancing *i; invalid UTF-8
 * (overlong, surrogate, past U+10FFFF, cut short) is U+FFFD, one byte. */
static uint32_t
utf8_next(const unsigned char *p, size_t len, size_t *i)
{
	unsigned char c = p[*i];
	size_t need = c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 :
	    c >= 0xe0 && c < 0xf0 ? 2 : c >= 0xf0 && c < 0xf5 ? 3 : 4;
	static const uint32_t min[] = { 0, 0x80, 0x800, 0x10000 };
	if (need == 0) {
		(*i)++;
		return c;
	}
	if (need == 4 || len - *i <= need) {
		(*i)++;
		return 0xfffd;
	}
	uint32_t v = c & (0x3f >> need);
	for (size_t k = 1; k <= need; k++) {
		if ((p[*i + k] & 0xc0) != 0x80) {
			(*i)++;
			return 0xfffd;
		}
		v = v << 6 | (p[*i + k] & 0x3f);
	}
	if (v < min[need] || v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) {
		(*i)++;
		return 0xfffd;
	}
	*i += need + 1;
	return v;
}

/* Lower case for the letters people search in most. */
static uint32_t
fold(uint32_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7))
		return c + 0x20;
	if (c == 0x130)
		return 'i';
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
		return c | 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return c & 1 ? c + 1 : c;
	if (c == 0x178)
		return 0xff;
	if ((c >= 0x391 && c <= 0x3a9 && c != 0x3a2) ||
	    (c >= 0x410 && c <= 0x42f))
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40f)
		return c + 0x50;
	return c;
}

static bool
is_word(uint32_t c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z');
	return c >= 0xc0 && c != 0xd7 && c != 0xf7 && c != 0xfffd &&
	    !(c >= 0x2000 && c <= 0x206f) && !(c >= 0x3000 && c <= 0x303f);
}

static bool
is_space(uint32_t c)
{
	return c <= ' ' || (c >= 0x7f && c <= 0xa0) || c == 0x2028 ||
	    c == 0x2029;
}

/* The text as code points, white space runs one space, trimmed. */
static size_t
decode(const char *text, size_t len, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, n = 0;
	if (len > HL_TEXT_MAX)
		len = HL_TEXT_MAX;
	while (i < len) {
		uint32_t c = utf8_next(p, len, &i);
		if (is_space(c)) {
			if (n > 0 && cp[n - 1] != ' ')
				cp[n++] = ' ';
		} else {
			cp[n++] = c;
		}
	}
	while (n > 0 && cp[n - 1] == ' ')
		n--;
	return n;
}

struct folded_terms {
	uint32_t cp[HL_MAX_TERMS][TERM_CPS];
	size_t len[HL_MAX_TERMS], n;
};

static void
fold_terms(const struct hl_terms *ts, struct folded_terms *f)
{
	f->n = 0;
	for (size_t t = 0; t < ts->n && t < HL_MAX_TERMS; t++) {
		const unsigned char *p = (const unsigned char *)ts->t[t];
		size_t len = strnlen(ts->t[t], HL_TERM_MAX), i = 0, k = 0;
		while (i < len && k < TERM_CPS)
			f->cp[f->n][k++] = fold(utf8_next(p, len, &i));
		if (k > 0)
			f->len[f->n++] = k;
	}
}

/* The longest term at cp[i] (0: none); comparisons taken from *work. */
static size_t
match_at(const uint32_t *cp, size_t n, size_t i, const struct folded_terms *f,
    size_t *work)
{
	size_t best = 0;
	for (size_t t = 0; t < f->n; t++) {
		size_t k = 0, len = f->len[t];
		if (len > n - i || len <= best)
			continue;
		if (i > 0 && is_word(cp[i - 1]) && is_word(f->cp[t][0]))
			continue;
		while (k < len && fold(cp[i + k]) == f->cp[t][k])
			k++;
		*work -= *work > k ? k + 1 : *work;
		if (k == len)
			best = len;
	}
	return best;
}

/* Mark every match (mark[i] = 1 inside one) up to `window` code points
 * from the first (0: to the end), or until WORK_MAX is spent; the first
 * match's start, or n when there is none. */
static size_t
find_marks(const uint32_t *cp, size_t n, size_t window,
    const struct folded_terms *f, unsigned char *mark)
{
	size_t first = n, to = n, work = WORK_MAX;
	for (size_t i = 0; i < to && work > 0; i++) {
		size_t len = match_at(cp, n, i, f, &work);
		if (len == 0)
			continue;
		if (first == n) {
			first = i;
			if (window != 0 && n - i > window)
				to = i + window;
		}
		memset(mark + i, 1, len);
	}
	return first;
}

static size_t
put_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3f));
	o[2] = (char)(0x80 | (c >> 6 & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static size_t
put_str(char *o, const char *s)
{
	size_t n = strlen(s);
	memcpy(o, s, n);
	return n;
}

static size_t
put_escaped(char *o, uint32_t c)
{
	switch (c) {
	case '&': return put_str(o, "&amp;");
	case '<': return put_str(o, "&lt;");
	case '>': return put_str(o, "&gt;");
	case '"': return put_str(o, "&quot;");
	case '\'': return put_str(o, "&#39;");
	default: return put_utf8(o, c);
	}
}

/* cp[from, to) escaped, the marked runs in <mark></mark>. */
static char *
render(const uint32_t *cp, const unsigned char *mark, size_t from, size_t to)
{
	/* worst case per code point: "<mark>" + "&quot;" + "</mark>" */
	char *out = malloc((to - from) * 19 + 1), *o = out;
	if (out == NULL)
		return NULL;
	for (size_t i = from; i < to; i++) {
		if (mark[i] && (i == from || !mark[i - 1]))
			o += put_str(o, "<mark>");
		o += put_escaped(o, cp[i]);
		if (mark[i] && (i + 1 == to || !mark[i + 1]))
			o += put_str(o, "</mark>");
	}
	*o = '\0';
	return out;
}

/* Where a preview starts: a little before the first match, at a word. */
static size_t
window_start(const uint32_t *cp, size_t first)
{
	size_t s = first > LEAD_CPS ? first - LEAD_CPS : 0;
	if (s == 0)
		return 0;
	for (size_t i = s; i < first; i++)
		if (cp[i] == ' ')
			return i + 1;
	return first;
}

char *
hl_highlight(const char *text, size_t len, const struct hl_terms *ts,
    size_t window)
{
	struct folded_terms f;
	char *out = NULL;
	fold_terms(ts, &f);
	if (f.n == 0 || text == NULL || len == 0)
		return NULL;
	size_t cap = len < HL_TEXT_MAX ? len : HL_TEXT_MAX;
	uint32_t *cp = malloc(cap * sizeof(*cp));
	unsigned char *mark = calloc(cap + 1, 1);
	if (cp == NULL || mark == NULL)
		goto out;
	size_t n = decode(text, len, cp);
	size_t first = find_marks(cp, n, window, &f, mark);
	if (first == n)
		goto out;
	size_t from = window ? window_start(cp, first) : 0;
	size_t to = window && n - from > window ? from + window : n;
	out = render(cp, mark, from, to);
out:
	free(cp);
	free(mark);
	return out;
}

bool
hl_terms_add(struct hl_terms *ts, const char *value)
{
	const char *p = value;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '"')
			p++;
		size_t n = 0;
		while (p[n] != '\0' && p[n] != ' ' && p[n] != '\t' &&
		    p[n] != '\n' && p[n] != '\r' && p[n] != '"')
			n++;
		if (n == 0)
			continue;
		if (ts->n == HL_MAX_TERMS)
			return false;
		size_t k = n < HL_TERM_MAX ? n : HL_TERM_MAX;
		memcpy(ts->t[ts->n], p, k);
		ts->t[ts->n++][k] = '\0';
		p += n;
	}
	return true;
}
