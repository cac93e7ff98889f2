/* libFuzzer target: submitd's reader of the relay's bytes (line reader and
 * reply parser, workers/submit/smtp_reply.h). The input is cut into reads
 * of a size taken from its first byte, so lines cross reads and the
 * buffer's compaction; every complete line is fed to the reply parser,
 * and what it keeps must stay within the documented bounds. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "smtp_reply.h"

static void
check(const struct smtp_reply *r)
{
	assert(r->textlen <= SMTP_REPLY_TEXT_MAX);
	assert(strlen(r->text) == r->textlen);
	for (size_t i = 0; i < r->textlen; i++)
		assert(r->text[i] >= 0x20 && r->text[i] < 0x7f);
	assert(r->lines <= SMTP_REPLY_LINES_MAX);
	if (r->done)
		assert(r->code >= 200 && r->code <= 559);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtp_lines in;
	static struct smtp_reply r;
	if (size == 0)
		return 0;
	size_t step = 1 + ((size_t)data[0] * 16) % 4096;
	data++;
	size--;
	smtp_lines_init(&in);
	smtp_reply_init(&r);
	size_t off = 0;
	while (off < size) {
		size_t room;
		char *p = smtp_lines_room(&in, &room);
		size_t n = size - off < step ? size - off : step;
		if (n > room)
			n = room;
		if (n == 0)
			break;     /* a full buffer with no line: the reader's -1 */
		memcpy(p, data + off, n);
		smtp_lines_filled(&in, n);
		off += n;
		const char *line;
		size_t len;
		int got;
		while ((got = smtp_lines_next(&in, &line, &len)) == 1) {
			assert(len < SMTP_LINE_MAX);
			enum smtp_feed f = smtp_reply_line(&r, line, len);
			check(&r);
			if (f != SMTP_MORE)
				smtp_reply_init(&r);
		}
		if (got < 0)
			return 0;
	}
	return 0;
}
