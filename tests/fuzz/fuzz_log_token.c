/* libFuzzer target: log_token, which makes bytes a client sent (a user
 * name) one token of a key=value log line. Whatever the bytes and the
 * room: the result fits, holds no control byte, and is either bare (no
 * blank, '"', '\\' or '=') or one double-quoted string whose inner quotes
 * and backslashes are escaped; uncut, unescaping it gives the input back. */
#include "log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t
unescape(const char *q, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (q[i] != '\\') {
			out[o++] = q[i];
		} else if (q[i + 1] == 'x') {
			out[o++] = (char)strtoul((char[]){ q[i + 2], q[i + 3], 0 },
			    NULL, 16);
			i += 3;
		} else {
			out[o++] = q[++i];
		}
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	size_t room = 8 + data[0] % 250;
	char out[260], back[260];
	const char *in = (const char *)data + 1;
	size_t len = size - 1;
	log_token(in, len, out, room);
	size_t n = strlen(out);
	if (n >= room)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			abort();
	if (n == 0 || out[0] != '"') {
		if (strpbrk(out, " \"\\=") != NULL || n > len ||
		    memcmp(out, in, n) != 0)
			abort();
		return 0;
	}
	if (n < 2 || out[n - 1] != '"')
		abort();
	for (size_t i = 1; i + 1 < n; i++) {
		if (out[i] == '\\' && i + 2 < n)
			i++;   /* an escape: the next byte is its own */
		else if (out[i] == '"' || out[i] == '\\')
			abort();
	}
	bool cut = n >= 5 && memcmp(out + n - 4, "...\"", 4) == 0;
	if (!cut) {
		size_t b = unescape(out + 1, n - 2, back);
		if (b != len || memcmp(back, in, len) != 0)
			abort();
	}
	return 0;
}
