/* imapstr: IMAP quoted strings and literals (see imapstr.h). */
#include "imapstr.h"

#include "charset.h"

#include <string.h>
#include <strings.h>

/* A NUL cannot travel in a literal; header bytes that held one show the
 * Unicode replacement character, as Dovecot does. */
static const char nul_repl[] = "\xef\xbf\xbd";
#define NUL_REPL_LEN 3

/* Past this many quoted-specials a literal is shorter (Dovecot's rule). */
#define QUOTED_MAX_ESCAPES 4

static int
literal(struct buf *out, const uint8_t *s, size_t n)
{
	size_t nuls = 0;
	for (size_t i = 0; i < n; i++)
		nuls += s[i] == 0;
	if (buf_printf(out, "{%zu}\r\n", n + nuls * (NUL_REPL_LEN - 1)) < 0)
		return -1;
	if (nuls == 0)
		return buf_append(out, s, n);
	for (size_t i = 0; i < n; i++) {
		int r = s[i] ? buf_append_byte(out, s[i])
			     : buf_append(out, nul_repl, NUL_REPL_LEN);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* Decide quoted vs literal for bytes that carry no CR/LF to unfold. */
static bool
needs_literal(const uint8_t *s, size_t n, unsigned flags)
{
	unsigned escapes = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c == '"' || c == '\\') {
			if (++escapes > QUOTED_MAX_ESCAPES)
				return true;
		} else if (c == '\r' || c == '\n' || c == 0) {
			return true;
		} else if (c >= 0x80) {
			if (!(flags & IMAPSTR_UTF8))
				return true;
			size_t l = charset_utf8_len(s + i, n - i);
			if (l == 0)
				return true;
			i += l - 1;
		}
	}
	return false;
}

static int
quoted(struct buf *out, const uint8_t *s, size_t n)
{
	/* worst case every byte escaped, plus the quotes */
	if (buf_reserve(out, 2 * n + 2) < 0)
		return -1;
	uint8_t *d = out->data + out->len;
	*d++ = '"';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			*d++ = '\\';
		*d++ = s[i];
	}
	*d++ = '"';
	out->len = (size_t)(d - out->data);
	return 0;
}

int
imapstr_nstring(struct buf *out, const void *sv, size_t n, unsigned flags)
{
	const uint8_t *s = sv;
	if (s == NULL)
		return buf_append(out, "NIL", 3);
	if (needs_literal(s, n, flags))
		return literal(out, s, n);
	return quoted(out, s, n);
}

int
imapstr_nstring_nolf(struct buf *out, const void *sv, size_t n,
    unsigned flags)
{
	const uint8_t *s = sv;
	if (s == NULL || (memchr(s, '\r', n) == NULL &&
	    memchr(s, '\n', n) == NULL))
		return imapstr_nstring(out, s, n, flags);
	struct buf t = BUF_INIT(n);
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\r' && s[i] != '\n') {
			buf_append_byte(&t, s[i]);
			continue;
		}
		uint8_t nx = i + 1 < n ? s[i + 1] : 0;
		if (i + 1 < n && nx != ' ' && nx != '\t' && nx != '\r' &&
		    nx != '\n')
			buf_append_byte(&t, ' ');
	}
	int r = t.failed ? -1 : imapstr_nstring(out, t.len ? t.data : (const
	    uint8_t *)"", t.len, flags);
	buf_free(&t);
	return r;
}

static bool
is_lwsp(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
imapstr_human(struct buf *out, const void *sv, size_t n, unsigned flags)
{
	const uint8_t *s = sv;
	if (s == NULL)
		return buf_append(out, "NIL", 3);
	bool modify = false;
	bool last_lwsp = true;
	bool prefix = true;
	size_t i;
	for (i = 0; i < n && !modify; i++) {
		uint8_t c = s[i];
		if (is_lwsp(c)) {
			if (c != ' ' || last_lwsp)
				modify = true;
			last_lwsp = true;
			continue;
		}
		if (c == '"' || c == '\\' || c == 0)
			modify = true;
		else if (c >= 0x80) {
			size_t l = (flags & IMAPSTR_UTF8) ?
			    charset_utf8_len(s + i, n - i) : 0;
			if (l == 0)
				modify = true;
			else
				i += l - 1;
		}
		last_lwsp = false;
		prefix = false;
	}
	if (!modify && n > 0 && last_lwsp && !prefix)
		modify = true;   /* trailing space */
	if (!modify) {
		if (buf_reserve(out, n + 2) < 0)
			return -1;
		buf_append_byte(out, '"');
		buf_append(out, s, n);
		return buf_append_byte(out, '"');
	}
	/* collapse whitespace, trim both ends, then decide the form */
	struct buf t = BUF_INIT(n * NUL_REPL_LEN + 1);
	last_lwsp = true;
	for (i = 0; i < n; i++) {
		if (is_lwsp(s[i])) {
			if (!last_lwsp)
				buf_append_byte(&t, ' ');
			last_lwsp = true;
			continue;
		}
		last_lwsp = false;
		if (s[i] == 0)
			buf_append(&t, nul_repl, NUL_REPL_LEN);
		else
			buf_append_byte(&t, s[i]);
	}
	if (t.len > 0 && t.data[t.len - 1] == ' ')
		t.len--;
	int r;
	if (t.failed)
		r = -1;
	else if (t.len == 0)
		r = buf_append(out, "\"\"", 2);
	else
		r = literal(out, t.data, t.len);
	buf_free(&t);
	return r;
}

static bool
is_atom_char(uint8_t c)
{
	/* ATOM-CHAR: CHAR except atom-specials; ASTRING-CHAR adds "]" */
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return strchr("(){%*\"\\", c) == NULL;
}

int
imapstr_astring(struct buf *out, const void *sv, size_t n, unsigned flags)
{
	const uint8_t *s = sv;
	size_t i;
	for (i = 0; i < n && is_atom_char(s[i]); i++)
		;
	if (i == n && n > 0 && !(n == 3 && strncasecmp((const char *)s, "NIL",
	    3) == 0))
		return buf_append(out, s, n);
	return imapstr_nstring(out, s, n, flags);
}
