/* libFuzzer target: the /metrics request parser (snmpd-helper/http.c), on
 * the whole input and on every prefix a slow client could deliver. A
 * decision on a prefix must agree with the decision on the whole. */
#include "http.h"

#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2 * HTTP_MAX_HEAD)
		return 0;
	/* an exact-size copy so that ASan catches any overread */
	uint8_t *p = malloc(size ? size : 1);
	memcpy(p, data, size);
	struct http_request full;
	int rc = http_parse(p, size, &full);
	if (size >= HTTP_MAX_HEAD && rc == 0)
		abort();                /* the parser must decide at its limit */
	if (rc == 1 && (full.status < 200 || full.status > 505))
		abort();
	for (size_t k = size > 64 ? size - 64 : 0; k < size; k++) {
		struct http_request part;
		if (http_parse(p, k, &part) == 1 && rc == 1 &&
		    part.status != full.status)
			abort();
	}
	free(p);
	return 0;
}
