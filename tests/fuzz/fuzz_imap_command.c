/* libFuzzer target: client bytes -> imap_reader framing -> imap_parse.
 * Small limits so the fuzzer reaches every limit path; every command the
 * reader completes is parsed, and the parse result must be one of the
 * three answers. The first byte picks the parse flags (bit 0) and the
 * pre-login mode (bit 1), in which nothing may be spooled, no command
 * text may pass the pre-login maximum and no continuation may be asked
 * for a literal above the pre-login cap. */
#include "imap_parse.h"

#include <stdbool.h>
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
	/* the first byte picks the parse flags and the pre-login mode */
	unsigned flags = size > 0 ? data[0] & 1 : 0;
	bool prelogin = size > 0 && (data[0] & 2);
	imap_reader_set_prelogin(&r, prelogin);
	while (off < size) {
		size_t used;
		enum imap_rd_event ev = imap_reader_feed(&r, data + off,
		    size - off, &used);
		off += used;
		if (prelogin && (imap_reader_spool_fd(&r) >= 0 ||
		    r.text.len > IMAP_PRELOGIN_COMMAND_MAX ||
		    (ev == RD_CONTINUE && r.lit_size > IMAP_PRELOGIN_LITERAL_MAX)))
			abort();
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
