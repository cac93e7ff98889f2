/* jmap_core: the urn:ietf:params:jmap:core methods (RFC 8620 section 4). */
#include "jmap_internal.h"

/* Core/echo: the arguments, unchanged. */
json_t *
jmap_core_echo(struct jmap_call *c, json_t **err)
{
	(void)err;
	return json_incref(c->args);
}
