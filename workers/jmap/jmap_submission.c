/* jmap_submission: EmailSubmission/get, /changes, /query, /queryChanges
 * (RFC 8621 section 7) over the user's outbox entries (see
 * jmap_submission.h). undoStatus and deliveryStatus are what submitd
 * recorded: pending (queued or being sent: delivered "queued"), final
 * (sent: "unknown", the relay took it and tells no more; failed: "no"),
 * canceled ("no"). No DSN or MDN is parsed: dsnBlobIds and mdnBlobIds are
 * always empty. */
#include "jmap_submission.h"

#include <string.h>

static const char *const props[] = { "id", "identityId", "emailId",
	"threadId", "envelope", "sendAt", "undoStatus", "deliveryStatus",
	"dsnBlobIds", "mdnBlobIds", NULL };

static const char *
undo_status(uint32_t state)
{
	return state == 4 ? "canceled" : state >= 2 ? "final" : "pending";
}

static const char *
delivered(uint32_t state)
{
	/* 5: may or may not have been sent; 6: the final dot going out */
	return state <= 1 || state == 6 ? "queued" : state == 2 || state == 5 ?
	    "unknown" : "no";
}

/* envelope and deliveryStatus, one entry per recipient */
static void
add_recipients(json_t *o, const struct store_submission *s, json_t *params)
{
	json_t *rcpt = json_array(), *ds = json_object();
	json_t *reply = json_stringn(s->reply, s->reply_len);
	if (s->reply_len == 0) {
		json_decref(reply);
		reply = json_string(s->state == 4 ? "" : "250 2.0.0 Queued");
	}
	for (size_t i = 0; i < s->rcpts_len; ) {
		const char *a = (const char *)s->rcpts + i;
		size_t l = strnlen(a, s->rcpts_len - i);
		json_t *addr = json_stringn(a, l);
		json_array_append_new(rcpt, json_pack("{sOsn}", "email", addr,
		    "parameters"));
		json_object_set_new(ds, json_string_value(addr), json_pack(
		    "{sOssss}", "smtpReply", reply, "delivered",
		    delivered(s->state), "displayed", "unknown"));
		json_decref(addr);
		i += l + 1;
	}
	json_decref(reply);
	json_object_set_new(o, "envelope", json_pack("{s{s s%sO}so}",
	    "mailFrom", "email", s->mail_from, s->from_len, "parameters",
	    params ? params : json_null(), "rcptTo", rcpt));
	json_object_set_new(o, "deliveryStatus", ds);
}

struct loading {
	json_t *list;
	uint64_t since;
};

static int
one(void *arg, const struct store_submission *s)
{
	struct loading *l = arg;
	char id[JMAP_ID_MAX], when[32];
	json_t *meta = json_loadb((const char *)s->meta, s->meta_len, 0, NULL);
	if (!json_is_object(meta)) {
		json_decref(meta);
		return 0;        /* not one jmapd made */
	}
	jmap_id_fmt(id, JMAP_SUBMISSION_ID, s->id);
	jmap_utc_date(when, sizeof(when), s->send_at ? s->send_at : s->created);
	json_t *o = json_pack("{ss sO sO sO ss ss s[] s[]}", "id", id,
	    "identityId", json_object_get(meta, "i"),
	    "emailId", json_object_get(meta, "e"),
	    "threadId", json_object_get(meta, "t"),
	    "sendAt", when, "undoStatus", undo_status(s->state),
	    "dsnBlobIds", "mdnBlobIds");
	if (o == NULL) {
		json_decref(meta);
		return STORE_E_INTERNAL;
	}
	add_recipients(o, s, json_object_get(meta, "p"));
	json_decref(meta);
	json_object_set_new(o, "_created", json_boolean(s->cmodseq > l->since));
	json_object_set_new(o, "_gone", json_boolean(s->hidden != 0));
	json_array_append_new(l->list, o);
	return 0;
}

int
jmap_submissions_load(struct jmap_call *c, uint64_t since, json_t **list,
    uint64_t *state)
{
	struct loading l = { json_array(), since };
	int rc = l.list ? store_outbox_list(c->account->store, since, one, &l,
	    state) : STORE_E_INTERNAL;
	if (rc != STORE_OK) {
		json_decref(l.list);
		l.list = NULL;
	}
	*list = l.list;
	return rc;
}

json_t *
jmap_submission_inner(struct jmap_call *c, jmap_method_fn fn, json_t *args,
    json_t **err)
{
	json_object_set_new(args, "accountId",
	    json_string(c->account->account_id));
	struct jmap_call sub = *c;
	sub.args = args;
	json_t *res = fn(&sub, err);
	c->store_lost |= sub.store_lost;
	json_decref(args);
	return res;
}

static void
state_str(char buf[JMAP_ID_MAX], uint64_t v)
{
	jmap_id_fmt(buf, 's', v);
}

static bool
load_all(struct jmap_call *c, json_t **list, char state[JMAP_ID_MAX],
    json_t **err)
{
	uint64_t st = 0;
	int rc = jmap_submissions_load(c, 0, list, &st);
	if (rc != STORE_OK) {
		*err = jmap_store_error(c, rc);
		return false;
	}
	state_str(state, st);
	return true;
}

json_t *
jmap_submission_get(struct jmap_call *c, json_t **err)
{
	json_t *ids, *wanted, *list;
	char state[JMAP_ID_MAX];
	if (!jmap_check_account(c, err) || !jmap_get_ids(c, &ids, err) ||
	    !jmap_get_properties(c, props, props, NULL, &wanted, err))
		return NULL;
	if (!load_all(c, &list, state, err)) {
		json_decref(wanted);
		return NULL;
	}
	json_t *res = jmap_get_response(c, state);
	if (res != NULL)
		jmap_get_fill(res, list, ids, wanted);
	json_decref(list);
	json_decref(wanted);
	return res;
}

json_t *
jmap_submission_changes(struct jmap_call *c, json_t **err)
{
	uint64_t since, max, st = 0;
	const char *s = json_string_value(json_object_get(c->args, "sinceState"));
	if (!jmap_check_account(c, err))
		return NULL;
	if (s == NULL || s[0] != 's' || !jmap_state_parse(s + 1, &since) ||
	    !jmap_uint_arg(c->args, "maxChanges", 0, &max)) {
		*err = jmap_error("invalidArguments", "sinceState, maxChanges");
		return NULL;
	}
	json_t *list, *x;
	size_t i;
	int rc = jmap_submissions_load(c, since, &list, &st);
	if (rc != STORE_OK) {
		*err = jmap_store_error(c, rc);
		return NULL;
	}
	char ns[JMAP_ID_MAX];
	state_str(ns, st > since ? st : since);
	json_t *res = json_pack("{ss ss ss sb s[] s[] s[]}", "accountId",
	    c->account->account_id, "oldState", s, "newState", ns,
	    "hasMoreChanges", 0, "created", "updated", "destroyed");
	json_array_foreach(list, i, x) {
		bool made = json_is_true(json_object_get(x, "_created"));
		bool gone = json_is_true(json_object_get(x, "_gone"));
		if (made && gone)
			continue;
		json_array_append(json_object_get(res, gone ? "destroyed" : made ?
		    "created" : "updated"), json_object_get(x, "id"));
	}
	json_decref(list);
	/* the store lists by id, not by change: no partial answer */
	if (max != 0 && i > max) {
		json_decref(res);
		*err = jmap_error("cannotCalculateChanges", "more than maxChanges");
		return NULL;
	}
	return res;
}
