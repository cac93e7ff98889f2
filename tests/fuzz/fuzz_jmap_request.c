/* libFuzzer target: arbitrary bytes as a JMAP API request body, with no
 * store (methods that need one answer serverFail) and small limits so
 * they are reached. Every answer must be JSON with a 200/400/413 status. */
#include <stdint.h>
#include <stdlib.h>

#include "jmap_api.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jmap_limits l;
	jmap_limits_default(&l);
	l.max_calls_in_request = 8;
	l.max_size_request = 64 * 1024;
	const struct jmap_account a = { "fuzz", "a1", NULL, &l };
	struct jmap_response r;
	jmap_api_handle(&a, (const char *)data, size, &r);
	if (r.body != NULL) {
		json_t *j = json_loadb(r.body, r.len, 0, NULL);
		if (j == NULL || (r.status != 200 && r.status != 400 &&
		    r.status != 413))
			abort();
		json_decref(j);
	}
	free(r.body);
	return 0;
}
