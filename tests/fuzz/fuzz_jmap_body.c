/* libFuzzer target: arbitrary bytes as a stored message, through the
 * Email/get body properties (bodyStructure, textBody, htmlBody,
 * attachments, every bodyValue with a small truncation, sender,
 * replyTo, headers and the header:...:as{Form} properties), and a part
 * cut out as a blob. The answer must encode as JSON. */
#include <stdint.h>
#include <stdlib.h>

#include "jmap_blob.h"
#include "jmap_email_body.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *props;
	if (props == NULL)
		props = json_pack("{sbsbsbsbsbsbsbsb}", "headers", 1,
		    "header:From:asAddresses", 1, "header:Date:asDate", 1,
		    "header:Subject:asText:all", 1, "header:List-Post:asURLs", 1,
		    "header:To:asGroupedAddresses", 1,
		    "header:Message-ID:asMessageIds", 1, "header:X:all", 1);
	static json_t *part_props;
	if (part_props == NULL)
		part_props = json_pack("{sbsbsb}", "partId", 1, "headers", 1,
		    "header:Content-Type:asText", 1);
	static const uint8_t blobid[STORE_BLOBID_LEN];
	struct jmap_body_args ba = { true, true, true, size % 64, 1u << 20,
	    props, blobid, size % 2 ? part_props : NULL };
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
	struct buf out = BUF_INIT(1u << 20);
	char type[64];
	jmap_blob_part(data, size, 1 + size % 7, &out, type, sizeof(type));
	buf_free(&out);
	return 0;
}
