/* libFuzzer target: arbitrary bytes as a stored message, through the
 * Email/get body properties (bodyStructure, textBody, htmlBody,
 * attachments, every bodyValue with a small truncation, sender,
 * replyTo). The answer must encode as JSON. */
#include <stdint.h>
#include <stdlib.h>

#include "jmap_email_body.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jmap_body_args ba = { true, true, true, size % 64, 1u << 20 };
	json_t *o = json_object();
	if (o == NULL)
		return 0;
	if (jmap_body_add(o, data, size, &ba) != -1) {
		char *s = json_dumps(o, 0);
		if (s == NULL)
			abort();
		free(s);
	}
	json_decref(o);
	return 0;
}
