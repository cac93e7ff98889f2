/* jmap_email_query_window: Email/query's page (RFC 8620 section 5.5) is
 * cut in stored, which sends the page and the total only; here the
 * arguments become a store_email_window and the answer the response. */
#include "jmap_email_query_window.h"
#include "jmap_query_changes.h"

bool
jmap_email_window(struct jmap_call *c, struct store_email_window *w,
    bool *anchor_unknown, json_t **err)
{
	json_t *pos = json_object_get(c->args, "position");
	json_t *anchor = json_object_get(c->args, "anchor");
	json_t *off = json_object_get(c->args, "anchorOffset");
	json_t *collapse = json_object_get(c->args, "collapseThreads");
	*w = (struct store_email_window){ 0 };
	*anchor_unknown = false;
	if ((pos != NULL && !json_is_integer(pos)) || (off != NULL &&
	    !json_is_integer(off)) || (anchor != NULL && !json_is_null(anchor)
	    && !json_is_string(anchor)) ||
	    !jmap_uint_arg(c->args, "limit", UINT64_MAX, &w->limit)) {
		*err = jmap_error("invalidArguments", NULL);
		return false;
	}
	if (collapse != NULL && !json_is_boolean(collapse) &&
	    !json_is_null(collapse)) {
		*err = jmap_error("invalidArguments", "collapseThreads");
		return false;
	}
	w->collapse = json_is_true(collapse);
	if (json_is_string(anchor)) {
		/* an id this server never made is not among the results */
		if (!jmap_id_parse(c, json_string_value(anchor), 'E',
		    &w->anchor) || w->anchor == 0)
			*anchor_unknown = true;
		w->anchor_offset = off != NULL ? json_integer_value(off) : 0;
	} else if (pos != NULL) {
		w->position = json_integer_value(pos);
	}
	return true;
}

json_t *
jmap_email_page_response(struct jmap_call *c,
    const struct store_search_result *r, const char *state)
{
	char id[JMAP_ID_MAX];
	json_t *ids = json_array();
	for (size_t i = 0; ids != NULL && i < r->nemail; i++) {
		jmap_id_fmt(id, 'E', r->emailids[i]);
		json_array_append_new(ids, json_string(id));
	}
	char qs[JMAP_QSTATE_MAX];
	jmap_query_state(c, state, qs);
	json_t *res = json_pack("{sssssbsIso}", "accountId",
	    c->account->account_id, "queryState", qs,
	    "canCalculateChanges", 1, "position", (json_int_t)r->position,
	    "ids", ids);
	if (res != NULL && json_is_true(json_object_get(c->args,
	    "calculateTotal")))
		json_object_set_new(res, "total", json_integer(
		    (json_int_t)r->total));
	return res;
}
