/* jmap_query: the window and answer every Foo/query shares (RFC 8620
 * section 5.5). */
#include "jmap_query_changes.h"

/* The window of a query result (RFC 8620 section 5.5): position or
 * anchor + anchorOffset, then limit. *start and *end index ids; false:
 * *err set. */
static bool
window(struct jmap_call *c, json_t *ids, size_t *start, size_t *end,
    json_t **err)
{
	json_t *pos = json_object_get(c->args, "position");
	json_t *anchor = json_object_get(c->args, "anchor");
	json_t *off = json_object_get(c->args, "anchorOffset");
	uint64_t limit;
	size_t n = json_array_size(ids);
	long long p = 0;
	if ((pos != NULL && !json_is_integer(pos)) || (off != NULL &&
	    !json_is_integer(off)) || (anchor != NULL && !json_is_null(anchor)
	    && !json_is_string(anchor)) ||
	    !jmap_uint_arg(c->args, "limit", UINT64_MAX, &limit)) {
		*err = jmap_error("invalidArguments", NULL);
		return false;
	}
	if (json_is_string(anchor)) {
		size_t i;
		json_t *v;
		p = -1;
		json_array_foreach(ids, i, v)
			if (json_equal(v, anchor))
				p = (long long)i;
		if (p < 0) {
			*err = jmap_error("anchorNotFound", NULL);
			return false;
		}
		p += off != NULL ? json_integer_value(off) : 0;
		if (p < 0)
			p = 0;
	} else if (pos != NULL) {
		p = json_integer_value(pos);
		if (p < 0)
			p = (long long)n + p < 0 ? 0 : (long long)n + p;
	}
	*start = (size_t)p > n ? n : (size_t)p;
	*end = limit < n - *start ? *start + (size_t)limit : n;
	return true;
}

/* The /query response for the sorted ids: the window, total, state. */
json_t *
jmap_query_response(struct jmap_call *c, json_t *ids, const char *state,
    json_t **err)
{
	size_t start, end;
	if (!window(c, ids, &start, &end, err))
		return NULL;
	json_t *page = json_array();
	for (size_t i = start; page != NULL && i < end; i++)
		json_array_append(page, json_array_get(ids, i));
	char qs[JMAP_QSTATE_MAX];
	jmap_query_state(c, state, qs);
	json_t *res = json_pack("{sssssbsIso}", "accountId",
	    c->account->account_id, "queryState", qs,
	    "canCalculateChanges", 1, "position", (json_int_t)start,
	    "ids", page);
	if (res != NULL && json_is_true(json_object_get(c->args,
	    "calculateTotal")))
		json_object_set_new(res, "total",
		    json_integer((json_int_t)json_array_size(ids)));
	return res;
}
