/* base64: strict base64 (see base64.h). */
#include "base64.h"

#include <stdbool.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
base64_encode(const void *p, size_t n, struct buf *out)
{
	const uint8_t *s = p;
	if (buf_reserve(out, (n + 2) / 3 * 4) < 0)
		return -1;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		char q[4] = { alphabet[v >> 18], alphabet[(v >> 12) & 63],
			i + 1 < n ? alphabet[(v >> 6) & 63] : '=',
			i + 2 < n ? alphabet[v & 63] : '=' };
		if (buf_append(out, q, 4) < 0)
			return -1;
	}
	return 0;
}

static int
val(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

int
base64_decode(const char *s, size_t n, uint8_t *dst, size_t dstsize,
    size_t *outlen)
{
	if (n % 4 != 0)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		int a = val(s[i]), b = val(s[i + 1]);
		int c = s[i + 2] == '=' ? -2 : val(s[i + 2]);
		int d = s[i + 3] == '=' ? -2 : val(s[i + 3]);
		bool last = i + 4 == n;
		if (a < 0 || b < 0 || c == -1 || d == -1 ||
		    (c == -2 && d != -2) || (!last && (c == -2 || d == -2)))
			return -1;
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12;
		size_t k = 1;
		if (c >= 0) {
			v |= (uint32_t)c << 6;
			k = 2;
		}
		if (d >= 0) {
			v |= (uint32_t)d;
			k = 3;
		}
		/* padding bits must be zero (canonical encoding) */
		if ((k == 1 && (v & 0xffff)) || (k == 2 && (v & 0xff)))
			return -1;
		if (o + k > dstsize)
			return -1;
		dst[o++] = (uint8_t)(v >> 16);
		if (k > 1)
			dst[o++] = (uint8_t)(v >> 8);
		if (k > 2)
			dst[o++] = (uint8_t)v;
	}
	*outlen = o;
	return 0;
}
