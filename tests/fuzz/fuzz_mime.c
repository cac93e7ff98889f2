/* libFuzzer target: the MIME parser and everything that reads its tree —
 * sections, ENVELOPE, BODYSTRUCTURE, indexed fields, search text, BINARY
 * decoding. Small limits so that deep nesting is reached quickly. */
#include <string.h>

#include "mime.h"
#include "mime_imap.h"
#include "mime_index.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_msg m;
	struct mime_limits lim = { 16, 200 };
	if (mime_parse(&m, data, size, size & 1 ? &lim : NULL) < 0)
		return 0;
	struct buf out = BUF_INIT(64 << 20);
	(void)mime_imap_bodystructure(&out, &m, 0, true, 0);
	buf_reset(&out);
	(void)mime_imap_bodystructure(&out, &m, 0, false, 1);
	buf_reset(&out);
	(void)mime_imap_envelope(&out, &m, 0, 0);
	buf_reset(&out);
	struct mime_index ix;
	if (mime_index_build(&ix, &m, 4096) == 0)
		mime_index_free(&ix);
	(void)mime_text_extract(&m, &out, 1 << 16);
	buf_reset(&out);
	/* every section of every part that exists */
	for (uint32_t a = 1; a <= 3; a++) {
		for (uint32_t b = 0; b <= 3; b++) {
			uint32_t path[2] = { a, b };
			size_t n = b ? 2 : 1;
			for (int w = MIME_SEC_BODY; w <= MIME_SEC_MIME; w++) {
				size_t s, e;
				if (mime_section_range(&m, path, n, w, &s, &e) == 0
				    && (s > e || e > size))
					__builtin_trap();
			}
		}
	}
	for (uint32_t i = 0; i < m.nparts && i < 50; i++) {
		bool unk;
		buf_reset(&out);
		(void)mime_part_decode(&m, i, &out, &unk);
		const struct mime_part *p = mime_part(&m, i);
		if (p->hdr > p->body || p->body > p->end || p->end > size)
			__builtin_trap();
	}
	struct mime_str names[2] = { { "subject", 7 }, { "from", 4 } };
	size_t hs, he;
	if (mime_section_range(&m, NULL, 0, MIME_SEC_HEADER, &hs, &he) == 0) {
		buf_reset(&out);
		(void)mime_hdr_filter(&out, data + hs, he - hs, names, 2, size & 2);
	}
	buf_free(&out);
	mime_free(&m);
	return 0;
}
