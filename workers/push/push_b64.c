/* push_b64: base64url over the standard codec (push_b64.h). */
#include "push_b64.h"
#include "base64.h"

#include <string.h>

int
push_b64url_encode(const void *p, size_t n, struct buf *out)
{
	size_t start = out->len;
	if (base64_encode(p, n, out) < 0)
		return -1;
	while (out->len > start && out->data[out->len - 1] == '=')
		out->len--;
	for (size_t i = start; i < out->len; i++)
		if (out->data[i] == '+')
			out->data[i] = '-';
		else if (out->data[i] == '/')
			out->data[i] = '_';
	return 0;
}

long
push_b64url_decode(const char *s, size_t n, uint8_t *dst, size_t cap)
{
	char tmp[1024];
	size_t out = 0;
	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1 || n + 3 > sizeof(tmp))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+' || s[i] == '/')
			return -1;
		tmp[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	}
	size_t m = n;
	while (m % 4 != 0)
		tmp[m++] = '=';
	return base64_decode(tmp, m, dst, cap, &out) < 0 ? -1 : (long)out;
}
