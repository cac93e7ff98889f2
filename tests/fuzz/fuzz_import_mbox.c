/* libFuzzer target: an mbox file as cloisterctl import splits and cleans
 * it (ctl/import_mbox_parse.h). */
#include "import_mbox_parse.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mbox_msg m = { .out = BUF_INIT(1u << 24) };
	const char *p = (const char *)data;
	size_t pos = 0;
	struct mbox_raw raw;
	for (unsigned i = 0; i < 100000 && mbox_next(p, size, &pos, &raw); i++) {
		(void)mbox_from_date(raw.from, raw.fromlen);
		(void)mbox_clean(&raw, &m);
	}
	return 0;
}
