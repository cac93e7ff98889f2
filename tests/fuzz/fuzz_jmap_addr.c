/* libFuzzer target: a message's address header and message-id list as
 * the store hands them to Email/get (decoded text from the message, so
 * anything), into EmailAddress and id arrays. */
#include <stdint.h>

#include "jmap_email_addr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_decref(jmap_addr_list((const char *)data, size));
	json_decref(jmap_msgid_list((const char *)data, size));
	return 0;
}
