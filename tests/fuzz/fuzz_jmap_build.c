/* libFuzzer target: arbitrary bytes as an Email/set create object (JSON),
 * through jmap_build; a message it makes must read back
 * (tests/unit/jmap_build_roundtrip.h: CRLF lines of at most 998 bytes,
 * every part decodes, Subject, From and the text body as set). Any
 * blobId "G..." names a small binary blob. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/jmap_build_roundtrip.h"

static const uint8_t blob_bytes[] = "\x89PNG\r\n\x1a\n\0\x01 data";

static int
blob(void *arg, const char *id, struct jmap_build_blob *out)
{
	(void)arg;
	if (id[0] != 'G')
		return JMAP_BLOB_NOTFOUND;
	out->p = blob_bytes;
	out->n = sizeof(blob_bytes) - 1;
	snprintf(out->type, sizeof(out->type), "%s",
	    id[1] == 'm' ? "message/rfc822" : "image/png");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jmap_build_env env = {
		.domain = "fuzz.example", .now = (int64_t)size * 7919,
		.blob = blob, .max_size = 1u << 20,
	};
	memcpy(env.random, "0123456789abcdef", JMAP_BUILD_RANDOM);
	json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL);
	if (o == NULL)
		return 0;
	struct buf m = BUF_INIT(env.max_size + 1);
	struct jmap_build_err e;
	if (jmap_build(o, &env, &m, &e) == 0) {
		const char *why = jmap_build_roundtrip(o, &m);
		if (why != NULL) {
			fprintf(stderr, "round trip: %s\n%.*s\n", why,
			    (int)m.len, (const char *)m.data);
			abort();
		}
	} else if (e.type == NULL) {
		abort();
	}
	buf_free(&m);
	json_decref(o);
	return 0;
}
