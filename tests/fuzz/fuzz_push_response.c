/* libFuzzer target: the push service response head reader (workers/push/
 * push_http.c), the only bytes from the outside pushd parses, on the whole
 * input and on every prefix a slow service could deliver. A complete head
 * seen on a prefix must be the one the whole input gives. */
#include "push_http.h"

#include <stdlib.h>
#include <string.h>

/* The last 64 prefixes agree with the whole (rc, status of the whole). */
static void
prefixes_agree(const uint8_t *p, size_t size, int rc, int status)
{
	struct push_resp part;
	size_t k = size > 64 ? size - 64 : 0;
	for (; rc == 1 && k < size; k++)
		if (push_http_response(p, k, &part) == 1 &&
		    part.status != status)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct push_resp r;
	if (size > 2 * PUSH_RESP_HEAD_MAX)
		return 0;
	uint8_t *copy = malloc(size ? size : 1); /* exact: ASan sees overreads */
	memcpy(copy, data, size);
	int rc = push_http_response(copy, size, &r);
	/* decided at the limit; a head's status final and in range */
	if ((rc == 0 && size >= PUSH_RESP_HEAD_MAX) || (rc == 1 &&
	    (r.status < 200 || r.status > 599 || r.retry_after > 86400)))
		abort();
	prefixes_agree(copy, size, rc, r.status);
	free(copy);
	return 0;
}
