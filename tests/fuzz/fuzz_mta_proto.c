/* libFuzzer target: mta-authd's reader of the MTA's bytes (Dovecot's auth
 * client protocol, workers/mtaauth/mta_proto.h). The input is cut into
 * reads of a size taken from its first byte (1 byte to 8 KiB), so lines
 * cross reads and the buffer's compaction; every complete line is parsed,
 * and what the parser hands out must lie inside the line and within the
 * documented bounds. */
#include <assert.h>
#include <string.h>

#include "mta_proto.h"

static void
check(const char *line, size_t len, const struct mta_req *q)
{
	assert(strlen(q->mech) <= AUTH_MECH_NAME_MAX);
	assert(strlen(q->service) <= MTA_SERVICE_MAX);
	assert(strlen(q->rip) <= MTA_ADDR_MAX && strlen(q->lip) <= MTA_ADDR_MAX);
	if (q->cmd == MTA_CMD_AUTH || q->cmd == MTA_CMD_CONT)
		assert(q->id != 0);
	if (q->has_data) {
		assert(q->data >= line && q->data + q->data_len <= line + len);
		for (size_t i = 0; i < q->data_len; i++)
			assert(q->data[i] != '\t' && q->data[i] != '\0');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mta_reader rd;
	if (size == 0)
		return 0;
	size_t step = 1 + ((size_t)data[0] * 32) % 8192;
	data++;
	size--;
	mta_reader_init(&rd);
	size_t off = 0;
	for (;;) {
		char *line;
		size_t len;
		int r;
		while ((r = mta_reader_line(&rd, &line, &len)) == 1) {
			assert(len <= MTA_LINE_MAX && line[len] == '\0');
			struct mta_req q;
			const char *why;
			if (mta_parse(line, len, &q, &why) == 0)
				check(line, len, &q);
			else
				assert(why != NULL && why[0] != '\0');
			(void)mta_addr_loopback(q.rip);
		}
		if (r < 0 || off == size)
			break;
		size_t room;
		char *p = mta_reader_space(&rd, &room);
		assert(room > 0);
		size_t n = size - off < step ? size - off : step;
		if (n > room)
			n = room;
		memcpy(p, data + off, n);
		mta_reader_added(&rd, n);
		off += n;
	}
	mta_reader_wipe(&rd);
	return 0;
}
