/* libFuzzer target: client bytes -> imap_reader framing -> imap_parse.
 * Small limits so the fuzzer reaches every limit path; every command the
 * reader completes is parsed, and the parse result must be one of the
 * three answers. */
#include "imap_parse.h"

#include <stdlib.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct imap_limits lim = { 512, 4096, 8192, 16384, 20, 16,
		200 };
	struct imap_reader r;
	struct imap_arena arena;
	imap_reader_init(&r, &lim);
	imap_arena_init(&arena, 64 * 1024);
	size_t off = 0;
	/* the first byte picks the parse flags */
	unsigned flags = size > 0 ? data[0] & 1 : 0;
	while (off < size) {
		size_t used;
		enum imap_rd_event ev = imap_reader_feed(&r, data + off,
		    size - off, &used);
		off += used;
		if (ev == RD_FATAL)
			break;
		if (ev == RD_REJECT) {
			imap_reader_next(&r);
			continue;
		}
		if (ev != RD_COMMAND)
			continue;
		size_t len;
		const uint8_t *t = imap_reader_text(&r, &len);
		struct imap_parse_ctx ctx = { &lim, &arena, &r, flags };
		struct imap_cmd cmd;
		struct imap_parse_error err;
		enum imap_parse_result res = imap_parse_command(&ctx, t, len,
		    &cmd, &err);
		if (res != IMAP_PARSE_OK && res != IMAP_PARSE_BAD &&
		    res != IMAP_PARSE_NO)
			abort();
		imap_arena_reset(&arena);
		imap_reader_next(&r);
	}
	imap_reader_free(&r);
	imap_arena_reset(&arena);
	return 0;
}
