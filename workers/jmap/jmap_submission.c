/* jmap_submission: EmailSubmission/get, /changes, /query, /queryChanges
 * (RFC 8621 section 7) over the user's outbox entries (see
 * jmap_submission.h). undoStatus and deliveryStatus are what submitd
 * and the DSNs recorded, per recipient: smtpReply the relay's reply to
 * it (its RCPT TO reply, or the data's once it was taken; none recorded:
 * the entry's last reply);
 * delivered "no" after a 5xx for it, else as a DSN said (failed "no",
 * delayed "queued", delivered "yes", relayed "unknown"), else as the
 * entry: pending, being sent or committing (its final dot going out)
 * "queued", sent "unknown" (the relay took it and tells no more) and
 * unknown too (it may or may not have been sent), failed or canceled
 * "no"; undoStatus "final" from the committing mark on; displayed "yes" once an
 * MDN said so, else "unknown". dsnBlobIds and mdnBlobIds: the reports
 * delivered back about it. */
#include "jmap_submission.h"
#include "jmap_blob.h"

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
delivered(uint32_t state, char d)
{
	switch (d) {
	case STORE_DLV_QUEUED:
		return "queued";
	case STORE_DLV_YES:
		return "yes";
	case STORE_DLV_NO:
		return "no";
	case STORE_DLV_UNKNOWN:
		return "unknown";
	default:
		/* 5: may or may not have been sent; 6: the final dot going out */
		return state <= 1 || state == 6 ? "queued" :
		    state == 2 || state == 5 ? "unknown" : "no";
	}
}

/* The next per-recipient record of rstatus at *at (empty if none is
 * left): its delivered byte, its reply (empty: the entry's). */
static char
next_status(const struct store_submission *s, size_t *at, const char **reply,
    size_t *len)
{
	*reply = "";
	*len = 0;
	if (*at >= s->rstatus_len)
		return STORE_DLV_STATE;
	const char *p = (const char *)s->rstatus + *at;
	size_t n = strnlen(p, s->rstatus_len - *at);
	*at += n + 1;
	if (n == 0)
		return STORE_DLV_STATE;
	*reply = p + 1;
	*len = n - 1;
	return p[0];
}

/* envelope and deliveryStatus, one entry per recipient */
static const char *
displayed(const struct store_submission *s, size_t i)
{
	return i < s->displayed_len && s->displayed[i] == 'y' ? "yes" :
	    "unknown";
}

static void
add_recipients(json_t *o, const struct store_submission *s, json_t *params)
{
	json_t *rcpt = json_array(), *ds = json_object();
	json_t *reply = json_stringn(s->reply, s->reply_len);
	if (s->reply_len == 0) {
		json_decref(reply);
		reply = json_string(s->state == 4 ? "" : "250 2.0.0 Queued");
	}
	for (size_t i = 0, at = 0, k = 0; i < s->rcpts_len; k++) {
		const char *a = (const char *)s->rcpts + i, *own;
		size_t l = strnlen(a, s->rcpts_len - i), olen;
		char d = next_status(s, &at, &own, &olen);
		json_t *addr = json_stringn(a, l);
		json_array_append_new(rcpt, json_pack("{sOsn}", "email", addr,
		    "parameters"));
		json_t *r = olen > 0 ? json_stringn(own, olen) : json_incref(reply);
		json_object_set_new(ds, json_string_value(addr), json_pack(
		    "{sossss}", "smtpReply", r, "delivered",
		    delivered(s->state, d), "displayed", displayed(s, k)));
		json_decref(addr);
		i += l + 1;
	}
	json_decref(reply);
	json_object_set_new(o, "envelope", json_pack("{s{s s%sO}so}",
	    "mailFrom", "email", s->mail_from, s->from_len, "parameters",
	    params ? params : json_null(), "rcptTo", rcpt));
	json_object_set_new(o, "deliveryStatus", ds);
}

/* The blob ids of the reports' content ids (32 bytes each). */
static void
add_blob_ids(json_t *list, const uint8_t *ids, size_t len)
{
	for (size_t i = 0; i + STORE_BLOBID_LEN <= len; i += STORE_BLOBID_LEN) {
		char blob[JMAP_BLOBID_MAX];
		jmap_blobid_fmt(blob, ids + i, 0);
		json_array_append_new(list, json_string(blob));
	}
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
	add_blob_ids(json_object_get(o, "dsnBlobIds"), s->dsn, s->dsn_len);
	add_blob_ids(json_object_get(o, "mdnBlobIds"), s->mdn, s->mdn_len);
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
