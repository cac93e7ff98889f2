/* jmap_submission_email: the Email changes EmailSubmission/set makes,
 * through Email/set itself (the same checks, states and push as a
 * client's own call; see jmap_submission_set.h). */
#include "jmap_submission_set.h"

#include <string.h>

/* The Drafts mailbox's id (a new reference), NULL if the user has none. */
static json_t *
drafts_id(struct jmap_call *c)
{
	json_t *err = NULL, *x, *id = NULL;
	size_t i;
	json_t *res = jmap_submission_inner(c, jmap_mailbox_get,
	    json_pack("{sns[s]}", "ids", "properties", "role"), &err);
	json_array_foreach(json_object_get(res, "list"), i, x) {
		const char *role = json_string_value(json_object_get(x, "role"));
		if (role != NULL && strcmp(role, "drafts") == 0) {
			id = json_incref(json_object_get(x, "id"));
			break;
		}
	}
	json_decref(res);
	json_decref(err);
	return id;
}

void
jmap_submission_back_to_drafts(struct jmap_call *c, json_t *email_id)
{
	const char *eid = json_string_value(email_id);
	json_t *drafts = eid != NULL ? drafts_id(c) : NULL, *err = NULL;
	if (drafts == NULL)
		return;
	json_t *patch = json_pack("{s{sb}sb}", "mailboxIds",
	    json_string_value(drafts), 1, "keywords/$draft", 1);
	json_t *res = jmap_submission_inner(c, jmap_email_set,
	    json_pack("{s{so}}", "update", eid, patch), &err);
	json_decref(res);
	json_decref(err);
	json_decref(drafts);
}

/* The emailId of submission key (an id or "#creationId") if this call
 * changed it. */
static json_t *
email_of(struct jmap_call *c, json_t *emails, const char *key)
{
	if (key[0] == '#')
		key = json_string_value(json_object_get(c->created_ids, key + 1));
	return key != NULL ? json_object_get(emails, key) : NULL;
}

void
jmap_submission_on_success(struct jmap_call *c, json_t *emails, json_t *upd,
    json_t *del)
{
	json_t *update = json_object(), *destroy = json_array(), *v, *e;
	const char *k;
	size_t i;
	json_object_foreach(upd, k, v)
		if ((e = email_of(c, emails, k)) != NULL && json_is_string(e))
			json_object_set(update, json_string_value(e), v);
	json_array_foreach(del, i, v)
		if (json_is_string(v) &&
		    (e = email_of(c, emails, json_string_value(v))) != NULL)
			json_array_append(destroy, e);
	if (json_object_size(update) == 0 && json_array_size(destroy) == 0) {
		json_decref(update);
		json_decref(destroy);
		return;
	}
	json_t *err = NULL;
	json_t *res = jmap_submission_inner(c, jmap_email_set, json_pack(
	    "{soso}", "update", update, "destroy", destroy), &err);
	json_array_append_new(c->extra, json_pack("[sos]", res ? "Email/set" :
	    "error", res ? res : err, c->call_id));
	if (res != NULL)
		json_decref(err);
}
