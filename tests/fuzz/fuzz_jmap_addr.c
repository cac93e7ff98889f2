/* libFuzzer target: a message's address header and message-id list as
 * the store hands them to Email/get (decoded text from the message, so
 * anything), into EmailAddress and id arrays; the same bytes as a blob
 * id. */
#include <stdint.h>
#include <string.h>

#include "jmap_blob.h"
#include "jmap_email_addr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_decref(jmap_addr_list((const char *)data, size));
	json_decref(jmap_msgid_list((const char *)data, size));
	/* and as a blob id a client sends */
	char s[128];
	uint8_t id[STORE_BLOBID_LEN];
	uint32_t part;
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	memcpy(s, data, n);
	s[n] = '\0';
	jmap_blobid_parse(s, id, &part);
	return 0;
}
