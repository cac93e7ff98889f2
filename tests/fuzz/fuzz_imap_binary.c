/* libFuzzer target: a message -> mime_parse -> imap_binary_to_base64. The
 * result must hold no NUL: what BODY[] sends can then always be a plain
 * literal. */
#include "imap_binary.h"

#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mime_limits lim = { 8, 64 };
	struct mime_msg m;
	if (mime_parse(&m, data, size, &lim) < 0)
		return 0;
	struct buf out = BUF_INIT(2 * size + 4096);
	int rc = imap_binary_to_base64(&m, &out);
	mime_free(&m);
	if (rc == 1 && memchr(out.data, 0, out.len) != NULL)
		abort();
	if (rc == 0 && size > 0 && memchr(data, 0, size) != NULL)
		abort();
	if (rc == -1 && !out.failed)
		abort();
	buf_free(&out);
	return 0;
}
