/* jmap_thread: Thread/get (RFC 8621 section 3): the emails of a thread,
 * oldest first, each once. */
#include "jmap_query_changes.h"

#include <stdlib.h>

struct thread {
	json_t *ids;
	json_t *seen;      /* email ids already listed */
};

static int
got_loc(void *arg, const struct store_email_loc *loc)
{
	struct thread *t = arg;
	char id[JMAP_ID_MAX];
	jmap_id_fmt(id, 'E', loc->emailid);
	if (json_object_get(t->seen, id) == NULL) {
		json_object_set_new(t->seen, id, json_true());
		json_array_append_new(t->ids, json_string(id));
	}
	return 0;
}

json_t *
jmap_thread_get(struct jmap_call *c, json_t **err)
{
	json_t *ids, *res, *v;
	char state[JMAP_ID_MAX];
	size_t i;
	if (!jmap_check_account(c, err) || !jmap_get_ids(c, &ids, err))
		return NULL;
	if (ids == NULL) {
		*err = jmap_error("requestTooLarge", "ids is required");
		return NULL;
	}
	if (!jmap_state(c, state, err))
		return NULL;
	res = jmap_get_response(c, state);
	json_array_foreach(ids, i, v) {
		uint64_t tid;
		struct thread t = { json_array(), json_object() };
		int rc = jmap_id_parse(c, json_string_value(v), 'T', &tid) ?
		    store_thread_get(c->account->store, tid, got_loc, &t) :
		    STORE_E_NOTFOUND;
		if (rc == STORE_OK && json_array_size(t.ids) > 0)
			json_array_append_new(json_object_get(res, "list"),
			    json_pack("{sOsO}", "id", v, "emailIds", t.ids));
		else if (rc == STORE_OK || rc == STORE_E_NOTFOUND)
			json_array_append(json_object_get(res, "notFound"), v);
		json_decref(t.ids);
		json_decref(t.seen);
		if (rc != STORE_OK && rc != STORE_E_NOTFOUND) {
			*err = jmap_store_error(c, rc);
			json_decref(res);
			return NULL;
		}
	}
	return res;
}

/* Thread/changes (RFC 8621 section 3.2): threads whose list of emails
 * changed, from the store's email and email-tombstone records. */
json_t *
jmap_thread_changes(struct jmap_call *c, json_t **err)
{
	return jmap_changes(c, store_thread_changes, 'T', err);
}

static int
peer(void *arg, uint64_t emailid)
{
	char id[JMAP_ID_MAX];
	jmap_id_fmt(id, 'E', emailid);
	return json_object_set_new(arg, id, json_true());
}

bool
jmap_qc_widen_threads(struct jmap_call *c, uint64_t since,
    const struct store_id_changes *ch, json_t *changed, json_t **err)
{
	if (!json_is_true(json_object_get(c->args, "collapseThreads")) ||
	    ch->ncreated + ch->nupdated + ch->ndestroyed == 0)
		return true;
	int rc = store_thread_peers(c->account->store, since, peer, changed);
	if (rc == STORE_OK)
		return true;
	*err = rc == STORE_E_CONFLICT ? jmap_error("cannotCalculateChanges",
	    "the thread of an email gone since then is not known") :
	    jmap_store_error(c, rc);
	return false;
}
