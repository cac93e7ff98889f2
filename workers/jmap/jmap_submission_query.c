/* jmap_submission_query: EmailSubmission/query and /queryChanges (RFC 8621
 * section 7.3). Filter conditions identityIds, emailIds, threadIds,
 * undoStatus, before, after (on sendAt), and FilterOperators of them;
 * sort by emailId, threadId or sentAt, ascending or not. queryChanges is
 * exact, by jmap_query_changes.c over the outbox's change numbers. */
#include "jmap_submission.h"
#include "jmap_submission_msg.h"
#include "jmap_query_changes.h"

#include <stdlib.h>
#include <string.h>

#define FILTER_DEPTH 8

static bool
in_list(json_t *list, json_t *v)
{
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x)
		if (json_equal(x, v))
			return true;
	return false;
}

static uint64_t
send_at(json_t *o)
{
	uint64_t t = 0;
	(void)jmap_rfc3339(json_string_value(json_object_get(o, "sendAt")), &t);
	return t;
}

/* 1 matches, 0 does not, -1 not a filter this server knows */
static int
matches(json_t *f, json_t *o, int depth)
{
	const char *k;
	json_t *v;
	uint64_t t;
	if (!json_is_object(f) || depth > FILTER_DEPTH)
		return -1;
	json_t *op = json_object_get(f, "operator");
	if (op != NULL) {
		const char *ops = json_string_value(op);
		json_t *conds = json_object_get(f, "conditions");
		size_t i, hits = 0, n = json_array_size(conds);
		json_t *x;
		if (ops == NULL || !json_is_array(conds) || json_object_size(f) != 2)
			return -1;
		json_array_foreach(conds, i, x) {
			int m = matches(x, o, depth + 1);
			if (m < 0)
				return -1;
			hits += (size_t)m;
		}
		if (strcmp(ops, "AND") == 0)
			return hits == n;
		if (strcmp(ops, "OR") == 0)
			return hits > 0;
		return strcmp(ops, "NOT") == 0 ? hits == 0 : -1;
	}
	int ok = 1;
	json_object_foreach(f, k, v) {
		if (strcmp(k, "identityIds") == 0 || strcmp(k, "emailIds") == 0 ||
		    strcmp(k, "threadIds") == 0) {
			char prop[16];
			size_t n = strlen(k) - 1;       /* "identityId" */
			if (!json_is_array(v) || n >= sizeof(prop))
				return -1;
			memcpy(prop, k, n);
			prop[n] = '\0';
			ok &= in_list(v, json_object_get(o, prop));
		} else if (strcmp(k, "undoStatus") == 0) {
			if (!json_is_string(v))
				return -1;
			ok &= json_equal(v, json_object_get(o, "undoStatus"));
		} else if (strcmp(k, "before") == 0 || strcmp(k, "after") == 0) {
			if (!jmap_rfc3339(json_string_value(v), &t))
				return -1;
			ok &= k[0] == 'b' ? send_at(o) < t : send_at(o) >= t;
		} else {
			return -1;
		}
	}
	return ok;
}

static const char *sort_prop;
static bool sort_asc;

static int
cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int r;
	if (strcmp(sort_prop, "sentAt") == 0) {
		uint64_t s = send_at(x), t = send_at(y);
		r = s < t ? -1 : s > t;
	} else if (strcmp(sort_prop, "id") == 0) {
		r = 0;  /* the ids' numbers, below: "S10" after "S9" */
	} else {
		const char *s = json_string_value(json_object_get(x, sort_prop));
		const char *t = json_string_value(json_object_get(y, sort_prop));
		r = strcmp(s ? s : "", t ? t : "");
	}
	if (r == 0) {   /* stable: by id (the outbox order) */
		uint64_t s = strtoull(json_string_value(json_object_get(x,
		    "id")) + 1, NULL, 10);
		uint64_t t = strtoull(json_string_value(json_object_get(y,
		    "id")) + 1, NULL, 10);
		return s < t ? -1 : s > t;
	}
	return sort_asc ? r : -r;
}

/* the one sort comparator taken (more are refused as unsupportedSort) */
static bool
sort_arg(json_t *sort)
{
	sort_prop = "id";
	sort_asc = true;
	if (sort == NULL || json_is_null(sort) || json_array_size(sort) == 0)
		return json_is_array(sort) || sort == NULL || json_is_null(sort);
	json_t *c = json_array_get(sort, 0);
	const char *p = json_string_value(json_object_get(c, "property"));
	json_t *asc = json_object_get(c, "isAscending");
	if (json_array_size(sort) != 1 || p == NULL ||
	    (asc != NULL && !json_is_boolean(asc)) ||
	    (strcmp(p, "emailId") != 0 && strcmp(p, "threadId") != 0 &&
	    strcmp(p, "sentAt") != 0))
		return false;
	sort_prop = p;
	sort_asc = asc == NULL || json_is_true(asc);
	return true;
}

/* The whole sorted result of the query in c->args; state: the one it was
 * read at. NULL: *err set. */
static json_t *
submission_results(struct jmap_call *c, char state[JMAP_ID_MAX],
    json_t **err)
{
	json_t *list, *x, *filter = json_object_get(c->args, "filter");
	size_t i, n = 0;
	uint64_t st = 0;
	if (!sort_arg(json_object_get(c->args, "sort"))) {
		*err = jmap_error("unsupportedSort", NULL);
		return NULL;
	}
	int rc = jmap_submissions_load(c, 0, &list, &st);
	if (rc != STORE_OK) {
		*err = jmap_store_error(c, rc);
		return NULL;
	}
	json_t **v = calloc(json_array_size(list) + 1, sizeof(*v));
	json_array_foreach(list, i, x) {
		int m = filter == NULL || json_is_null(filter) ? 1 :
		    matches(filter, x, 0);
		if (m < 0) {
			*err = jmap_error("unsupportedFilter", NULL);
			break;
		}
		if (m == 1 && v != NULL)
			v[n++] = x;
	}
	json_t *ids = *err == NULL && v != NULL ? json_array() : NULL;
	if (ids != NULL) {
		qsort(v, n, sizeof(*v), cmp);
		for (i = 0; i < n; i++)
			json_array_append(ids, json_object_get(v[i], "id"));
		jmap_id_fmt(state, 's', st);
	} else if (*err == NULL) {
		*err = jmap_error("serverFail", NULL);
	}
	free(v);
	json_decref(list);
	return ids;
}

/* ---- queryChanges ------------------------------------------------------- */

static int
changed_one(void *arg, const struct store_submission *s)
{
	char id[JMAP_ID_MAX];
	jmap_id_fmt(id, JMAP_SUBMISSION_ID, s->id);
	return json_object_set_new(arg, id, json_true()) == 0 ? 0 :
	    STORE_E_INTERNAL;
}

/* Every submission created, changed or destroyed after since counts as
 * changed (the outbox keeps destroyed ones as hidden rows). With since 0
 * the store lists the visible ones: all of them were made after it, and
 * one made and destroyed since was in neither result. */
static bool
submission_changed(struct jmap_call *c, uint64_t since,
    const struct store_id_changes *ch, json_t *changed, json_t **err)
{
	uint64_t st;
	(void)ch;
	int rc = store_outbox_list(c->account->store, since, changed_one,
	    changed, &st);
	if (rc != STORE_OK)
		*err = jmap_store_error(c, rc);
	return rc == STORE_OK;
}

/* identityId, emailId, threadId and sendAt never change; undoStatus does. */
static bool
submission_immutable(struct jmap_call *c)
{
	static const char *const fixed[] = { "identityIds", "emailIds",
	    "threadIds", "before", "after", NULL };
	return jmap_qc_fixed_filter(json_object_get(c->args, "filter"), fixed,
	    0);
}

static const struct jmap_qc_kind kind = { JMAP_SUBMISSION_ID,
	NULL, submission_results, submission_immutable, submission_changed,
	's' };

json_t *
jmap_submission_query(struct jmap_call *c, json_t **err)
{
	return jmap_query_whole(c, &kind, err);
}

json_t *
jmap_submission_query_changes(struct jmap_call *c, json_t **err)
{
	return jmap_query_changes_run(c, &kind, err);
}
