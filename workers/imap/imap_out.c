/* imap_out: response item formatting (see imap_out.h). */
#include "imap_out.h"
#include "imap_mutf7.h"

#include <string.h>
#include <strings.h>

int
imap_out_raw(struct buf *b, const void *p, size_t n)
{
	return buf_append(b, p, n);
}

int
imap_out_str(struct buf *b, const char *s)
{
	return buf_append_str(b, s);
}

static bool
quotable(const char *p, size_t n, bool utf8)
{
	if (n > IMAP_OUT_QUOTED_MAX)
		return false;
	bool high = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == 0 || c == '\r' || c == '\n')
			return false;
		if (c >= 0x80)
			high = true;
	}
	return !high || (utf8 && imap_utf8_valid(p, n));
}

static int
quoted(struct buf *b, const char *p, size_t n)
{
	if (buf_reserve(b, n + 2) < 0 || buf_append_byte(b, '"') < 0)
		return -1;
	size_t s = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '"' && p[i] != '\\')
			continue;
		if (buf_append(b, p + s, i - s) < 0 ||
		    buf_append_byte(b, '\\') < 0)
			return -1;
		s = i;
	}
	if (buf_append(b, p + s, n - s) < 0)
		return -1;
	return buf_append_byte(b, '"');
}

int
imap_out_string(struct buf *b, const char *p, size_t n, bool utf8)
{
	if (quotable(p, n, utf8))
		return quoted(b, p, n);
	if (buf_printf(b, "{%zu}\r\n", n) < 0)
		return -1;
	return buf_append(b, p, n);
}

int
imap_out_nstring(struct buf *b, const char *p, size_t n, bool utf8)
{
	if (p == NULL)
		return buf_append(b, "NIL", 3);
	return imap_out_string(b, p, n, utf8);
}

static bool
astring_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' &&
	    c != '%' && c != '*' && c != '"' && c != '\\';
}

int
imap_out_astring(struct buf *b, const char *p, size_t n, bool utf8)
{
	bool atom = n > 0 && !(n == 3 && strncasecmp(p, "NIL", 3) == 0);
	for (size_t i = 0; atom && i < n; i++)
		atom = astring_char((unsigned char)p[i]);
	if (atom)
		return buf_append(b, p, n);
	return imap_out_string(b, p, n, utf8);
}

int
imap_out_mailbox(struct buf *b, const char *name, bool utf8)
{
	size_t n = strlen(name);
	if (utf8) {
		if (!imap_utf8_valid(name, n))
			return -1;
		return imap_out_string(b, name, n, true);
	}
	char tmp[2048];
	struct buf t = { (uint8_t *)tmp, 0, sizeof(tmp), sizeof(tmp) - 1,
		false };
	if (imap_mutf7_encode(name, n, &t) < 0)
		return -1;
	return imap_out_string(b, tmp, t.len, false);
}
