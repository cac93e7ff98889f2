/* libFuzzer target: what EmailSubmission/set reads of a user's message and
 * arguments: the message without its Bcc fields (checked: no Bcc header
 * line left, the body unchanged), envelope addresses, identity matching
 * and RFC 3339 times (sendAt, HOLDUNTIL). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jmap_submission_msg.h"

/* Where the header section ends (past the empty line), or n. */
static size_t
body_at(const char *p, size_t n)
{
	for (size_t i = 0; i < n; ) {
		const char *lf = memchr(p + i, '\n', n - i);
		size_t e = lf ? (size_t)(lf - p) + 1 : n;
		if (p[i] == '\n' || (e - i >= 2 && p[i] == '\r' && p[i + 1] == '\n'))
			return i;
		i = e;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct buf out = BUF_INIT(1 << 24);
	if (jmap_strip_bcc(p, size, &out) == 0) {
		size_t hb = body_at(p, size), ob = body_at((char *)out.data, out.len);
		/* the body is the same bytes; the headers never grow */
		if (size - hb != out.len - ob || ob > hb ||
		    memcmp(p + hb, (char *)out.data + ob, size - hb) != 0)
			abort();
		for (size_t i = 0; i < ob; i++)
			if ((i == 0 || out.data[i - 1] == '\n') && ob - i > 4 &&
			    strncasecmp((char *)out.data + i, "bcc:", 4) == 0)
				abort();
	}
	buf_free(&out);
	char s[512];
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	memcpy(s, data, n);
	s[n] = '\0';
	uint64_t t;
	(void)jmap_rfc3339(s, &t);
	(void)jmap_envelope_addr_ok(s);
	char *mid = memchr(s, '|', n);
	if (mid != NULL) {
		*mid = '\0';
		(void)jmap_identity_allows(s, mid + 1);
	}
	return 0;
}
