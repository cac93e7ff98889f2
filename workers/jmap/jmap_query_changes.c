/*
 * jmap_query_changes: Mailbox/queryChanges and Email/queryChanges (RFC
 * 8620 section 5.6) from the store's change lists, the ones /changes
 * reads; EmailSubmission/queryChanges runs the same (jmap_submission_query.c),
 * and Mailbox/query and EmailSubmission/query answer from the same whole
 * results (jmap_query_whole).
 *
 * The server keeps no old results. Filters and sorts may use mutable
 * properties (keywords, mailboxes), so every id created, updated or
 * destroyed since the old state is in "removed" (the RFC allows ids that
 * were not in the old results) and those of them in the current results
 * are "added" at their index. An id not changed since the old state kept
 * its membership and its sort keys, so the unchanged ids are in the same
 * order in both lists: applying the answer to the old list gives the new
 * one.
 *
 * A queryState is "<state>-<shape>": the store state read before the
 * query ran, and a hash of the filter, sort and collapseThreads it came
 * from, so that a state of another query is cannotCalculateChanges and
 * not a wrong answer.
 */
#include "jmap_query_changes.h"
#include "jmap_email_query_window.h"
#include "jmap_mailbox_list.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a of the query's filter, sort and collapseThreads in canonical
 * JSON: tells one query shape from another, not a secret. */
static uint64_t
query_shape(struct jmap_call *c)
{
	static const char *const keys[] = { "filter", "sort",
	    "collapseThreads" };
	json_t *o = json_object();
	for (size_t i = 0; o != NULL && i < sizeof(keys) / sizeof(keys[0]);
	    i++) {
		json_t *v = json_object_get(c->args, keys[i]);
		if (i == 2)
			v = json_boolean(json_is_true(v));
		else
			v = v != NULL ? json_incref(v) : json_null();
		json_object_set_new(o, keys[i], v);
	}
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) :
	    NULL;
	uint64_t h = 0xcbf29ce484222325ull;
	for (const char *p = s; p != NULL && *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	free(s);
	json_decref(o);
	return h;
}

void
jmap_query_state(struct jmap_call *c, const char *state,
    char buf[JMAP_QSTATE_MAX])
{
	snprintf(buf, JMAP_QSTATE_MAX, "%s-%016" PRIx64, state,
	    query_shape(c));
}

/* sinceQueryState back to the store state; false: malformed or from a
 * query of another shape. */
static bool
parse_query_state(struct jmap_call *c, const char *s, char prefix,
    uint64_t *since)
{
	char state[JMAP_ID_MAX], want[JMAP_QSTATE_MAX];
	const char *dash = strchr(s, '-');
	size_t n = dash != NULL ? (size_t)(dash - s) : 0, skip = prefix != 0;
	if (n <= skip || n >= sizeof(state) || (prefix != 0 && s[0] != prefix))
		return false;
	memcpy(state, s, n);
	state[n] = '\0';
	jmap_query_state(c, state, want);
	return jmap_state_parse(state + skip, since) && strcmp(s, want) == 0;
}

bool
jmap_qc_fixed_filter(json_t *f, const char *const fixed[], int depth)
{
	const char *k;
	json_t *v;
	size_t i;
	if (f == NULL || json_is_null(f))
		return true;
	if (!json_is_object(f) || depth > 16)
		return false;
	json_t *conds = json_object_get(f, "conditions");
	if (json_object_get(f, "operator") != NULL) {
		json_array_foreach(conds, i, v)
			if (!jmap_qc_fixed_filter(v, fixed, depth + 1))
				return false;
		return json_is_array(conds);
	}
	json_object_foreach(f, k, v) {
		for (i = 0; fixed[i] != NULL && strcmp(fixed[i], k) != 0; i++)
			;
		if (fixed[i] == NULL)
			return false;
	}
	return true;
}

/* The arguments besides the query's own. */
static bool
check_args(struct jmap_call *c, uint64_t *max, json_t **err)
{
	json_t *up = json_object_get(c->args, "upToId");
	json_t *total = json_object_get(c->args, "calculateTotal");
	json_t *collapse = json_object_get(c->args, "collapseThreads");
	if (!json_is_string(json_object_get(c->args, "sinceQueryState")) ||
	    !jmap_uint_arg(c->args, "maxChanges", 0, max) ||
	    (json_is_integer(json_object_get(c->args, "maxChanges")) &&
	    *max == 0) || (up != NULL && !json_is_null(up) &&
	    !json_is_string(up)) || (total != NULL && !json_is_boolean(total))
	    || (collapse != NULL && !json_is_null(collapse) &&
	    !json_is_boolean(collapse))) {
		*err = jmap_error("invalidArguments", "sinceQueryState, "
		    "maxChanges, upToId, calculateTotal, collapseThreads");
		return false;
	}
	return true;
}

static void
mark(json_t *set, const uint64_t *v, size_t n, char type)
{
	char id[JMAP_ID_MAX];
	for (size_t i = 0; i < n; i++) {
		jmap_id_fmt(id, type, v[i]);
		json_object_set_new(set, id, json_true());
	}
}

/* removed: every changed id; added: those in ids with their index, up to
 * index cut. */
static json_t *
answer(struct jmap_call *c, json_t *ids, json_t *changed, size_t cut,
    uint64_t max, const char *newstate, json_t **err)
{
	json_t *removed = json_array(), *added = json_array(), *v;
	const char *k;
	size_t i;
	json_object_foreach(changed, k, v)
		json_array_append_new(removed, json_string(k));
	json_array_foreach(ids, i, v)
		if (i <= cut && json_object_get(changed,
		    json_string_value(v)) != NULL)
			json_array_append_new(added, json_pack("{sOsI}", "id", v,
			    "index", (json_int_t)i));
	if (max != 0 && json_array_size(removed) + json_array_size(added) >
	    max) {
		json_decref(removed);
		json_decref(added);
		*err = jmap_error("tooManyChanges", NULL);
		return NULL;
	}
	json_t *res = json_pack("{sssOsssoso}", "accountId",
	    c->account->account_id, "oldQueryState",
	    json_object_get(c->args, "sinceQueryState"), "newQueryState",
	    newstate, "removed", removed, "added", added);
	if (res != NULL && json_is_true(json_object_get(c->args,
	    "calculateTotal")))
		json_object_set_new(res, "total",
		    json_integer((json_int_t)json_array_size(ids)));
	return res;
}

/* The index after which added may stop: that of upToId when the answer
 * for the ids before it cannot depend on mutable properties. */
static size_t
cut_at(const struct jmap_qc_kind *k, struct jmap_call *c, json_t *ids)
{
	json_t *up = json_object_get(c->args, "upToId"), *v;
	size_t i;
	if (!json_is_string(up) || !k->immutable(c))
		return SIZE_MAX;
	json_array_foreach(ids, i, v)
		if (json_equal(v, up))
			return i;
	return SIZE_MAX;
}

json_t *
jmap_query_changes_run(struct jmap_call *c, const struct jmap_qc_kind *k,
    json_t **err)
{
	uint64_t max, since;
	char state[JMAP_ID_MAX], newstate[JMAP_QSTATE_MAX];
	if (!jmap_check_account(c, err) || !check_args(c, &max, err))
		return NULL;
	if (!parse_query_state(c, json_string_value(json_object_get(c->args,
	    "sinceQueryState")), k->state_prefix, &since)) {
		*err = jmap_error("cannotCalculateChanges", "not a queryState "
		    "of this query");
		return NULL;
	}
	json_t *ids = k->results(c, state, err);
	if (ids == NULL)
		return NULL;
	struct store_id_changes ch = { 0 };
	json_t *res = NULL, *changed = json_object();
	int rc = k->changes != NULL ? k->changes(c->account->store, since, 0,
	    &ch) : STORE_OK;
	if (rc == STORE_E_CONFLICT)
		*err = jmap_error("cannotCalculateChanges", NULL);
	else if (rc != STORE_OK)
		*err = jmap_store_error(c, rc);
	else if (changed == NULL)
		*err = jmap_error("serverFail", NULL);
	else {
		mark(changed, ch.created, ch.ncreated, k->type);
		mark(changed, ch.updated, ch.nupdated, k->type);
		mark(changed, ch.destroyed, ch.ndestroyed, k->type);
		if (k->widen == NULL || k->widen(c, since, &ch, changed, err)) {
			jmap_query_state(c, state, newstate);
			res = answer(c, ids, changed, cut_at(k, c, ids), max,
			    newstate, err);
		}
	}
	store_id_changes_free(&ch);
	json_decref(changed);
	json_decref(ids);
	return res;
}

json_t *
jmap_query_whole(struct jmap_call *c, const struct jmap_qc_kind *k,
    json_t **err)
{
	char state[JMAP_ID_MAX];
	if (!jmap_check_account(c, err))
		return NULL;
	json_t *ids = k->results(c, state, err);
	json_t *res = ids != NULL ? jmap_query_response(c, ids, state, err) :
	    NULL;
	json_decref(ids);
	return res;
}

/* ---- Email -------------------------------------------------------------- */

static json_t *
email_results(struct jmap_call *c, char state[JMAP_ID_MAX], json_t **err)
{
	struct store_email_window w = { .limit = UINT64_MAX,
	    .collapse = json_is_true(json_object_get(c->args,
	    "collapseThreads")) };
	struct store_search_result r = { 0 };
	json_t *ids = NULL;
	char id[JMAP_ID_MAX];
	if (jmap_email_query_run(c, &w, false, state, &r, err)) {
		ids = json_array();
		for (size_t i = 0; ids != NULL && i < r.nemail; i++) {
			jmap_id_fmt(id, 'E', r.emailids[i]);
			json_array_append_new(ids, json_string(id));
		}
		if (ids == NULL)
			*err = jmap_error("serverFail", NULL);
	}
	store_search_result_free(&r);
	return ids;
}

/* Filter conditions whose answer never changes for an email. */
static bool
email_immutable(struct jmap_call *c)
{
	static const char *const fixed[] = { "from", "to", "cc", "bcc",
	    "subject", "text", "body", "header", "before", "after",
	    "minSize", "maxSize", NULL };
	return !json_is_true(json_object_get(c->args, "collapseThreads")) &&
	    jmap_qc_fixed_filter(json_object_get(c->args, "filter"), fixed, 0);
}

json_t *
jmap_email_query_changes(struct jmap_call *c, json_t **err)
{
	static const struct jmap_qc_kind k = { 'E', store_email_changes,
	    email_results, email_immutable, jmap_qc_widen_threads, 0 };
	return jmap_query_changes_run(c, &k, err);
}

/* ---- Mailbox ------------------------------------------------------------ */

static json_t *
mailbox_results(struct jmap_call *c, char state[JMAP_ID_MAX], json_t **err)
{
	return jmap_mailbox_query_ids(c, state, err);
}

/* A mailbox's JMAP name and parentId come from the other mailboxes'
 * names (the nearest existing ancestor), and creating or destroying one
 * does not touch its descendants: then every mailbox counts as changed,
 * those the filter now leaves out too (the list is short). */
static bool
mailbox_widen(struct jmap_call *c, uint64_t since,
    const struct store_id_changes *ch, json_t *changed, json_t **err)
{
	struct jmap_mbox_list l;
	char id[JMAP_ID_MAX];
	(void)since;
	if (ch->ncreated == 0 && ch->ndestroyed == 0)
		return true;
	int rc = jmap_mbox_list_load(c->account->store, &l);
	if (rc != STORE_OK) {
		*err = jmap_store_error(c, rc);
		return false;
	}
	for (size_t i = 0; i < l.n; i++) {
		jmap_id_fmt(id, 'M', l.v[i].id);
		json_object_set_new(changed, id, json_true());
	}
	jmap_mbox_list_free(&l);
	return true;
}

static bool
never_immutable(struct jmap_call *c)
{
	(void)c;
	return false;
}

static const struct jmap_qc_kind mailbox_kind = { 'M', store_mbox_changes,
	mailbox_results, never_immutable, mailbox_widen, 0 };

json_t *
jmap_mailbox_query_changes(struct jmap_call *c, json_t **err)
{
	return jmap_query_changes_run(c, &mailbox_kind, err);
}

json_t *
jmap_mailbox_query(struct jmap_call *c, json_t **err)
{
	return jmap_query_whole(c, &mailbox_kind, err);
}
