/*
 * jmap_snippet: SearchSnippet/get (RFC 8621 section 5). The store's search
 * reports matches, not where they are, so no snippet is highlighted:
 * subject and preview are null for every email, which the RFC allows
 * ("null if no match"); the client shows the Email's own. Ids that are
 * not emails are notFound.
 */
#include "jmap_getset.h"

json_t *
jmap_snippet_get(struct jmap_call *c, json_t **err)
{
	json_t *ids = json_object_get(c->args, "emailIds");
	json_t *filter = json_object_get(c->args, "filter");
	size_t i;
	json_t *v;
	if (!jmap_check_account(c, err))
		return NULL;
	if (!json_is_array(ids) || (filter != NULL && !json_is_null(filter) &&
	    !json_is_object(filter))) {
		*err = jmap_error("invalidArguments", "emailIds, filter");
		return NULL;
	}
	if (json_array_size(ids) > c->account->limits->max_objects_in_get) {
		*err = jmap_error("requestTooLarge", NULL);
		return NULL;
	}
	json_t *res = json_pack("{sss[]s[]}", "accountId",
	    c->account->account_id, "list", "notFound");
	json_array_foreach(ids, i, v) {
		uint64_t id;
		if (jmap_id_parse(c, json_string_value(v), 'E', &id))
			json_array_append_new(json_object_get(res, "list"),
			    json_pack("{sOsnsn}", "emailId", v, "subject",
			    "preview"));
		else
			json_array_append(json_object_get(res, "notFound"), v);
	}
	return res;
}
