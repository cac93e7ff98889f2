/* imap_mutf7: modified UTF-7 <-> UTF-8 (see imap_mutf7.h). */
#include "imap_mutf7.h"

#include <stdint.h>

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* Decode one UTF-8 code point; 0 on error (NUL is refused too). */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (n == 0 || s[0] == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t len;
	uint32_t c, min;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2; c = s[0] & 0x1f; min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3; c = s[0] & 0x0f; min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4; c = s[0] & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

bool
imap_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	while (n > 0) {
		uint32_t cp;
		size_t k = utf8_next(p, n, &cp);
		if (k == 0)
			return false;
		p += k;
		n -= k;
	}
	return true;
}

static int
put_utf8(struct buf *out, uint32_t c)
{
	uint8_t b[4];
	size_t n;
	if (c < 0x80) {
		b[0] = (uint8_t)c; n = 1;
	} else if (c < 0x800) {
		b[0] = (uint8_t)(0xc0 | (c >> 6));
		b[1] = (uint8_t)(0x80 | (c & 0x3f)); n = 2;
	} else if (c < 0x10000) {
		b[0] = (uint8_t)(0xe0 | (c >> 12));
		b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (c & 0x3f)); n = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | (c >> 18));
		b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (c & 0x3f)); n = 4;
	}
	return buf_append(out, b, n);
}

int
imap_mutf7_encode(const char *s, size_t n, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	while (n > 0) {
		if (p[0] >= 0x20 && p[0] < 0x7f) {
			if (p[0] == '&') {
				if (buf_append(out, "&-", 2) < 0)
					return -1;
			} else if (buf_append_byte(out, p[0]) < 0) {
				return -1;
			}
			p++;
			n--;
			continue;
		}
		/* a run of non-printables: UTF-16BE in modified base64 */
		if (buf_append_byte(out, '&') < 0)
			return -1;
		uint32_t bits = 0;
		int nbits = 0;
		while (n > 0 && !(p[0] >= 0x20 && p[0] < 0x7f)) {
			uint32_t cp;
			size_t k = utf8_next(p, n, &cp);
			if (k == 0)
				return -1;
			p += k;
			n -= k;
			uint16_t u[2];
			int nu = 1;
			if (cp >= 0x10000) {
				cp -= 0x10000;
				u[0] = (uint16_t)(0xd800 | (cp >> 10));
				u[1] = (uint16_t)(0xdc00 | (cp & 0x3ff));
				nu = 2;
			} else {
				u[0] = (uint16_t)cp;
			}
			for (int i = 0; i < nu; i++) {
				bits = (bits << 16) | u[i];
				nbits += 16;
				while (nbits >= 6) {
					nbits -= 6;
					if (buf_append_byte(out,
					    (uint8_t)b64[(bits >> nbits) & 0x3f]) < 0)
						return -1;
				}
			}
		}
		if (nbits > 0 && buf_append_byte(out,
		    (uint8_t)b64[(bits << (6 - nbits)) & 0x3f]) < 0)
			return -1;
		if (buf_append_byte(out, '-') < 0)
			return -1;
	}
	return 0;
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == ',') return 63;
	return -1;
}

int
imap_mutf7_decode(const char *s, size_t n, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		if (p[i] < 0x20 || p[i] >= 0x7f)
			return -1;
		if (p[i] != '&') {
			if (buf_append_byte(out, p[i++]) < 0)
				return -1;
			continue;
		}
		i++;
		if (i < n && p[i] == '-') {
			if (buf_append_byte(out, '&') < 0)
				return -1;
			i++;
			continue;
		}
		uint32_t bits = 0, hi = 0;
		int nbits = 0;
		size_t units = 0;
		while (i < n && p[i] != '-') {
			int v = b64val(p[i++]);
			if (v < 0)
				return -1;
			bits = (bits << 6) | (uint32_t)v;
			nbits += 6;
			if (nbits < 16)
				continue;
			nbits -= 16;
			uint32_t u = (bits >> nbits) & 0xffff;
			units++;
			if (hi != 0) {
				if (u < 0xdc00 || u > 0xdfff)
					return -1;
				u = 0x10000 + ((hi - 0xd800) << 10) + (u - 0xdc00);
				hi = 0;
			} else if (u >= 0xd800 && u <= 0xdbff) {
				hi = u;
				continue;
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				return -1;
			} else if (u == 0 || (u >= 0x20 && u < 0x7f)) {
				return -1;   /* printable ASCII must not be shifted */
			}
			if (put_utf8(out, u) < 0)
				return -1;
		}
		/* "-" ends the run; leftover bits must be zero padding */
		if (i >= n || units == 0 || hi != 0 || nbits >= 6 ||
		    (bits & ((1u << nbits) - 1)) != 0)
			return -1;
		i++;
	}
	return 0;
}
