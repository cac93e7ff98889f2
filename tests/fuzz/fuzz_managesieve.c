/* libFuzzer target: ManageSieve client bytes through the framing reader
 * (ms_reader) and the tokenizer (ms_parse_tokens), as the worker runs them:
 * the first byte picks pre-login (strict) or logged-in limits and the read
 * size (1 to 4096 bytes), so commands and literals cross many reads. The
 * limits are small so that every limit is reached. */
#include <string.h>

#include "ms_parse.h"

static void
touch(const struct ms_token *t, int n)
{
	volatile uint8_t sum = 0;   /* every token byte: ASan checks bounds */
	for (int i = 0; i < n; i++) {
		for (size_t k = 0; k < t[i].len; k++)
			sum ^= (uint8_t)t[i].s[k];
		uint64_t v;
		(void)ms_token_number(&t[i], &v);
	}
	(void)sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool strict = data[0] & 1;
	size_t chunk = 1 + ((size_t)(data[0] >> 1) * 33) % 4096;
	data++;
	size--;
	static const struct ms_limits lim = { 256, 512, 1024 };
	struct ms_reader r;
	ms_reader_init(&r, &lim, strict);
	size_t off = 0;
	for (int guard = 0; off < size && guard < 100000; guard++) {
		size_t n = size - off < chunk ? size - off : chunk;
		size_t used = 0;
		enum ms_rd_event ev = ms_reader_feed(&r, data + off, n, &used);
		off += used;
		if (ev == MS_RD_FATAL)
			break;
		if (ev == MS_RD_COMMAND) {
			size_t len;
			uint8_t *t = ms_reader_text(&r, &len);
			struct ms_token tok[MS_MAX_TOKENS];
			const char *err;
			int nt = ms_parse_tokens(t, len, tok, MS_MAX_TOKENS, &err);
			if (nt > 0)
				touch(tok, nt);
		}
		if (ev != MS_RD_MORE)
			ms_reader_next(&r);
		else if (used == 0)
			break;
	}
	ms_reader_free(&r);
	return 0;
}
