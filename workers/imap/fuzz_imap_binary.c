/* libFuzzer target: a message -> mime_parse -> imap_binary_to_base64. The
 * result, parsed again, must hold no NUL in any leaf body: what BODY[]
 * sends can then always be a plain literal. */
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
	if (rc == 1 && mime_parse(&m, out.data, out.len, &lim) == 0) {
		for (uint32_t i = 0; i < m.nparts; i++) {
			const struct mime_part *p = &m.parts[i];
			/* a leaf the first parse saw as a container may come
			 * back whole; only the re-encoded leaves are checked */
			if (p->kind == MIME_LEAF && p->end > p->body &&
			    !(p->flags & MIME_P_TRUNCATED) &&
			    mime_part_cte(&m, i) == MIME_CTE_BASE64 &&
			    memchr(out.data + p->body, 0, p->end - p->body))
				abort();
		}
		mime_free(&m);
	}
	if (rc == -1 && !out.failed)
		abort();
	buf_free(&out);
	return 0;
}
