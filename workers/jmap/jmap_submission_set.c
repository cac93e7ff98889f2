/* jmap_submission_set: EmailSubmission/set (RFC 8621 section 7.5).
 * create: the identity checked against the envelope's mailFrom
 * (forbiddenMailFrom) and the message's From (forbiddenFrom); the
 * envelope derived from Sender/From and To/Cc/Bcc when absent; the bytes
 * queued are the Email's without Bcc; it is sent at the latest of now plus
 * undo-send-seconds, sendAt, HOLDFOR and HOLDUNTIL (jmap_submission_create.c).
 * update: undoStatus "canceled" while pending cancels the outbox entry
 * (cannotUnsend once submitd has claimed it) and puts the Email back in
 * Drafts with $draft. destroy: the record only. Then onSuccessUpdateEmail
 * and onSuccessDestroyEmail as one implicit Email/set, answered after this
 * method's own response. */
#include "jmap_set.h"
#include "jmap_submission.h"
#include "jmap_submission_set.h"

#include <stdint.h>
#include <string.h>

struct subset {
	struct jmap_call *c;
	json_t *pending;           /* the method's error (the store is gone) */
	json_t *emails;            /* submission id -> emailId, this call's */
	json_t *list;              /* the submissions, read at the first
				      update or destroy (a create needs none) */
};

static void
op_create(void *ctx, json_t *create, json_t *created, json_t *not_created)
{
	struct subset *s = ctx;
	const char *cid;
	json_t *v;
	json_object_foreach(create, cid, v) {
		json_t *done = NULL;
		json_t *e = s->pending ? NULL :
		    jmap_submission_create(s->c, v, &done, &s->pending);
		if (s->pending)
			return;
		if (e != NULL) {
			json_object_set_new(not_created, cid, e);
			continue;
		}
		const char *id = json_string_value(json_object_get(done, "id"));
		json_object_set(s->c->created_ids, cid, json_object_get(done, "id"));
		json_object_set(s->emails, id, json_object_get(done, "_emailId"));
		json_object_del(done, "_emailId");
		json_object_set_new(created, cid, done);
	}
}

/* the submission record id names (NULL: none) */
static json_t *
record(struct subset *s, const char *id, uint64_t *n)
{
	size_t i;
	json_t *x;
	uint64_t st;
	if (!jmap_id_parse(s->c, id, JMAP_SUBMISSION_ID, n))
		return NULL;
	int rc = s->list != NULL ? STORE_OK :
	    jmap_submissions_load(s->c, 0, &s->list, &st);
	if (rc != STORE_OK) {
		s->pending = jmap_store_error(s->c, rc);
		return NULL;
	}
	char real[JMAP_ID_MAX];
	jmap_id_fmt(real, JMAP_SUBMISSION_ID, *n);
	json_array_foreach(s->list, i, x)
		if (strcmp(json_string_value(json_object_get(x, "id")), real) == 0)
			return x;
	return NULL;
}

/* The only change a client makes: undoStatus to "canceled" (undo send). */
static json_t *
op_update(void *ctx, const char *id, json_t *patch)
{
	struct subset *s = ctx;
	uint64_t n;
	const char *k;
	json_t *v, *rec = record(s, id, &n);
	if (rec == NULL)
		return s->pending ? NULL : jmap_set_error("notFound", NULL);
	json_object_foreach(patch, k, v)
		if (strcmp(k, "undoStatus") != 0 &&
		    !json_equal(v, json_object_get(rec, k)))
			return jmap_set_error("invalidProperties", k);
	json_t *want = json_object_get(patch, "undoStatus");
	if (want == NULL || json_equal(want, json_object_get(rec, "undoStatus")))
		return NULL;
	if (!json_is_string(want) || strcmp(json_string_value(want),
	    "canceled") != 0)
		return jmap_set_error("invalidProperties", "undoStatus");
	int rc = store_outbox_change(s->c->account->store, n,
	    STORE_OUTBOX_CANCEL, NULL);
	if (rc == STORE_E_CONFLICT)
		return jmap_error("cannotUnsend", "it is being sent or was sent");
	if (rc != STORE_OK)
		return jmap_store_set_error(s->c, rc, &s->pending);
	json_object_set_new(rec, "undoStatus", json_string("canceled"));
	jmap_submission_back_to_drafts(s->c, json_object_get(rec, "emailId"));
	json_object_set(s->emails, json_string_value(json_object_get(rec, "id")),
	    json_object_get(rec, "emailId"));
	return NULL;
}

static json_t *
op_destroy(void *ctx, const char *id)
{
	struct subset *s = ctx;
	uint64_t n;
	json_t *rec = record(s, id, &n);
	if (rec == NULL)
		return s->pending ? NULL : jmap_set_error("notFound", NULL);
	int rc = store_outbox_change(s->c->account->store, n, STORE_OUTBOX_HIDE,
	    NULL);
	if (rc == STORE_E_CONFLICT || rc == STORE_E_NOTFOUND)
		return jmap_set_error("notFound", NULL);
	if (rc != STORE_OK)
		return jmap_store_set_error(s->c, rc, &s->pending);
	json_object_set(s->emails, json_string_value(json_object_get(rec, "id")),
	    json_object_get(rec, "emailId"));
	return NULL;
}

static bool
state_now(struct jmap_call *c, char buf[JMAP_ID_MAX], json_t **err)
{
	json_t *list;
	uint64_t st;
	int rc = jmap_submissions_load(c, INT64_MAX, &list, &st);
	json_decref(list);
	if (rc != STORE_OK) {
		*err = jmap_store_error(c, rc);
		return false;
	}
	jmap_id_fmt(buf, 's', st);
	return true;
}

json_t *
jmap_submission_set(struct jmap_call *c, json_t **err)
{
	static const struct jmap_set_ops ops = { NULL, op_create, op_update,
		op_destroy };
	char old[JMAP_ID_MAX], new[JMAP_ID_MAX];
	json_t *upd = json_object_get(c->args, "onSuccessUpdateEmail");
	json_t *del = json_object_get(c->args, "onSuccessDestroyEmail");
	if ((upd != NULL && !json_is_null(upd) && !json_is_object(upd)) ||
	    (del != NULL && !json_is_null(del) && !json_is_array(del))) {
		*err = jmap_error("invalidArguments", "onSuccess*Email");
		return NULL;
	}
	if (!jmap_check_account(c, err) || !state_now(c, old, err))
		return NULL;
	json_t *want = json_object_get(c->args, "ifInState");
	if (want != NULL && !json_is_null(want) && (!json_is_string(want) ||
	    strcmp(json_string_value(want), old) != 0)) {
		*err = jmap_error("stateMismatch", NULL);
		return NULL;
	}
	/* the frame's ifInState is the mail state: this one is checked */
	json_object_del(c->args, "ifInState");
	struct subset s = { .c = c, .emails = json_object() };
	json_t *res = jmap_set_run(c, &ops, &s, &s.pending, err);
	json_decref(s.list);
	if (res != NULL && state_now(c, new, err)) {
		json_object_set_new(res, "oldState", json_string(old));
		json_object_set_new(res, "newState", json_string(new));
		jmap_submission_on_success(c, s.emails, upd, del);
	} else {
		json_decref(res);
		res = NULL;
	}
	json_decref(s.emails);
	return res;
}
