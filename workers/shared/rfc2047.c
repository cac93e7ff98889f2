/* rfc2047: encoded-word decoding to UTF-8 (see rfc2047.h). */
#include "rfc2047.h"

#include <string.h>
#include <strings.h>

#include "charset.h"
#include "mime_decode.h"
#include "rfc822.h"

#define CHARSET_MAX 64

struct word {
	const uint8_t *cs;     /* charset name (RFC 2231 "*lang" cut off) */
	size_t cslen;
	uint8_t enc;           /* 'B' or 'Q' */
	const uint8_t *text;
	size_t textlen;
	size_t total;          /* bytes from "=?" to after "?=" */
};

/* An encoded word at s? *no_end is set when no "?=" follows anywhere, so
 * the caller stops looking (keeps the scan linear). */
static bool
parse_word(const uint8_t *s, size_t n, struct word *w, bool *no_end)
{
	if (n < 8 || s[0] != '=' || s[1] != '?')
		return false;
	size_t i = 2;
	while (i < n && i - 2 <= CHARSET_MAX && s[i] != '?' && s[i] != ' ')
		i++;
	if (i >= n || s[i] != '?' || i == 2)
		return false;
	w->cs = s + 2;
	w->cslen = i - 2;
	const uint8_t *star = memchr(w->cs, '*', w->cslen);
	if (star != NULL)
		w->cslen = (size_t)(star - w->cs);
	if (i + 3 > n || s[i + 2] != '?')
		return false;
	w->enc = s[i + 1] & ~0x20;
	if (w->enc != 'B' && w->enc != 'Q')
		return false;
	i += 3;
	const uint8_t *end = memmem(s + i, n - i, "?=", 2);
	if (end == NULL) {
		*no_end = true;
		return false;
	}
	w->text = s + i;
	w->textlen = (size_t)(end - w->text);
	if (memchr(w->text, ' ', w->textlen) != NULL ||
	    memchr(w->text, '\t', w->textlen) != NULL)
		return false;   /* words hold no blanks; this is prose */
	w->total = (size_t)(end + 2 - s);
	return true;
}

static int
flush(struct buf *out, struct buf *pend, const uint8_t *cs, size_t cslen)
{
	if (pend->len == 0)
		return 0;
	int r = charset_to_utf8(out, (const char *)cs, cslen, pend->data,
	    pend->len);
	buf_reset(pend);
	return r;
}

static int
decode(struct buf *out, const uint8_t *s, size_t n, struct buf *pend)
{
	const uint8_t *pcs = NULL;   /* charset of what is pending */
	size_t pcslen = 0;
	bool no_end = false;
	size_t run = 0;              /* start of plain text not yet copied */
	size_t after_word = SIZE_MAX;   /* end of the last encoded word */
	size_t i = 0;
	while (i < n) {
		struct word w;
		const uint8_t *q = no_end ? NULL : memchr(s + i, '=', n - i);
		if (q == NULL)
			break;
		i = (size_t)(q - s);
		if (!parse_word(s + i, n - i, &w, &no_end)) {
			i++;
			continue;
		}
		/* plain text before the word; blanks alone between two words
		 * vanish */
		bool only_blanks = after_word == run;
		for (size_t k = run; k < i && only_blanks; k++)
			only_blanks = s[k] == ' ' || s[k] == '\t';
		if (!only_blanks) {
			if (flush(out, pend, pcs, pcslen) < 0 ||
			    charset_utf8_sanitize(out, s + run, i - run) < 0)
				return -1;
		}
		if (pend->len > 0 && (w.cslen != pcslen ||
		    strncasecmp((const char *)w.cs, (const char *)pcs,
		    pcslen) != 0)) {
			if (flush(out, pend, pcs, pcslen) < 0)
				return -1;
		}
		pcs = w.cs;
		pcslen = w.cslen;
		int r = w.enc == 'B' ? mime_base64_decode(pend, w.text,
		    w.textlen) : mime_q_decode(pend, w.text, w.textlen);
		if (r < 0)
			return -1;
		i += w.total;
		run = after_word = i;
	}
	if (flush(out, pend, pcs, pcslen) < 0)
		return -1;
	return charset_utf8_sanitize(out, s + run, n - run);
}

int
rfc2047_decode(struct buf *out, const uint8_t *s, size_t n)
{
	struct buf unf = BUF_INIT(n + 1);
	struct buf pend = BUF_INIT(n + 1);
	int r = -1;
	if (rfc822_unfold(&unf, s, n) == 0)
		r = decode(out, unf.len ? unf.data : (const uint8_t *)"",
		    unf.len, &pend);
	buf_free(&unf);
	buf_free(&pend);
	return r;
}
