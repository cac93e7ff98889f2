/*
 * jmap_mailbox: Mailbox/get, Mailbox/changes, Mailbox/query (RFC 8621
 * section 2). Mailbox/set is jmap_mailbox_set.c.
 */
#include "jmap_mailbox_list.h"
#include "jmap_query_changes.h"

#include <stdlib.h>
#include <string.h>

static const char *const mbox_props[] = {
	"id", "name", "parentId", "role", "sortOrder", "totalEmails",
	"unreadEmails", "totalThreads", "unreadThreads", "myRights",
	"isSubscribed", NULL,
};

static bool
wants_threads(json_t *props)
{
	return json_object_get(props, "totalThreads") != NULL ||
	    json_object_get(props, "unreadThreads") != NULL;
}

static bool
add_mbox(struct jmap_call *c, json_t *list, const struct jmap_mbox *m,
    json_t *props, json_t **err)
{
	json_t *o = jmap_mbox_json(c, m, wants_threads(props), err);
	if (o == NULL)
		return false;
	jmap_filter_properties(o, props);
	json_array_append_new(list, o);
	return true;
}

json_t *
jmap_mailbox_get(struct jmap_call *c, json_t **err)
{
	json_t *ids, *props = NULL, *res = NULL;
	char state[JMAP_ID_MAX];
	struct jmap_mbox_list l;
	if (!jmap_check_account(c, err) || !jmap_get_ids(c, &ids, err) ||
	    !jmap_get_properties(c, mbox_props, mbox_props, NULL, &props,
	    err) ||
	    !jmap_state(c, state, err))
		goto out0;
	int rc = jmap_mbox_list_load(c->account->store, &l);
	if (rc == STORE_OK && wants_threads(props))
		rc = jmap_mbox_list_load_threads(c->account->store, &l);
	if (rc != STORE_OK) {
		jmap_mbox_list_free(&l);
		*err = jmap_store_error(c, rc);
		goto out0;
	}
	res = jmap_get_response(c, state);
	json_t *list = json_object_get(res, "list");
	json_t *nf = json_object_get(res, "notFound");
	size_t i;
	json_t *v;
	if (ids == NULL) {
		for (i = 0; i < l.n; i++)
			if (!add_mbox(c, list, &l.v[i], props, err))
				goto fail;
		goto out;
	}
	json_array_foreach(ids, i, v) {
		uint64_t id;
		struct jmap_mbox *m = jmap_id_parse(c, json_string_value(v), 'M',
		    &id) ? jmap_mbox_find(&l, id) : NULL;
		if (m == NULL)
			json_array_append(nf, v);
		else if (!add_mbox(c, list, m, props, err))
			goto fail;
	}
	goto out;
fail:
	json_decref(res);
	res = NULL;
out:
	jmap_mbox_list_free(&l);
out0:
	json_decref(props);
	return res;
}

json_t *
jmap_mailbox_changes(struct jmap_call *c, json_t **err)
{
	json_t *res = jmap_changes(c, store_mbox_changes, 'M', err);
	if (res != NULL)
		json_object_set_new(res, "updatedProperties", json_null());
	return res;
}

/* ---- Mailbox/query ------------------------------------------------------------ */

#define FILTER_MAX_DEPTH 16

/* Does m match filter? -1: a filter the server does not support. */
static int
match(const struct jmap_mbox_list *l, const struct jmap_mbox *m,
    json_t *f, int depth)
{
	const char *k;
	json_t *v;
	if (!json_is_object(f) || depth > FILTER_MAX_DEPTH)
		return -1;
	json_t *op = json_object_get(f, "operator");
	if (op != NULL) {
		const char *o = json_string_value(op);
		json_t *conds = json_object_get(f, "conditions");
		size_t i;
		int any = 0, all = 1;
		if (o == NULL || !json_is_array(conds))
			return -1;
		json_array_foreach(conds, i, v) {
			int r = match(l, m, v, depth + 1);
			if (r < 0)
				return -1;
			any |= r;
			all &= r;
		}
		if (strcmp(o, "AND") == 0)
			return all;
		if (strcmp(o, "OR") == 0)
			return any;
		return strcmp(o, "NOT") == 0 ? !any : -1;
	}
	json_object_foreach(f, k, v) {
		const char *role = jmap_mbox_role(m);
		uint64_t pid;
		int r;
		if (strcmp(k, "parentId") == 0)
			r = json_is_null(v) ? m->parent == 0 :
			    json_is_string(v) && jmap_id_parse(NULL,
			    json_string_value(v), 'M', &pid) && pid == m->parent;
		else if (strcmp(k, "name") == 0 && json_is_string(v))
			r = strstr(m->leaf, json_string_value(v)) != NULL;
		else if (strcmp(k, "role") == 0)
			r = json_is_null(v) ? role == NULL : json_is_string(v) &&
			    role != NULL && strcmp(role, json_string_value(v)) == 0;
		else if (strcmp(k, "hasAnyRole") == 0 && json_is_boolean(v))
			r = (role != NULL) == json_is_true(v);
		else if (strcmp(k, "isSubscribed") == 0 && json_is_boolean(v))
			r = ((m->attrs & STORE_MBOX_SUBSCRIBED) != 0) ==
			    json_is_true(v);
		else
			return -1;
		if (!r)
			return 0;
	}
	return 1;
}

#define SORT_MAX 4

struct sort_keys {
	struct {
		bool by_name, asc;
	} k[SORT_MAX];
	size_t n;
};

static int
cmp_mbox(const void *a, const void *b, void *arg)
{
	const struct sort_keys *keys = arg;
	const struct jmap_mbox *x = *(const struct jmap_mbox *const *)a;
	const struct jmap_mbox *y = *(const struct jmap_mbox *const *)b;
	for (size_t i = 0; i < keys->n; i++) {
		int r = keys->k[i].by_name ? strcmp(x->leaf, y->leaf) :
		    jmap_mbox_sort_order(x) - jmap_mbox_sort_order(y);
		if (r != 0)
			return keys->k[i].asc ? r : -r;
	}
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The sort argument; false: unsupportedSort. */
static bool
parse_sort(json_t *sort, struct sort_keys *keys)
{
	size_t i;
	json_t *s;
	keys->n = 0;
	if (sort == NULL || json_is_null(sort))
		return true;
	if (!json_is_array(sort) || json_array_size(sort) > SORT_MAX)
		return false;
	json_array_foreach(sort, i, s) {
		const char *p = json_string_value(json_object_get(s, "property"));
		json_t *asc = json_object_get(s, "isAscending");
		if (p == NULL || (strcmp(p, "name") && strcmp(p, "sortOrder")) ||
		    (asc != NULL && !json_is_boolean(asc)))
			return false;
		keys->k[keys->n].by_name = strcmp(p, "name") == 0;
		keys->k[keys->n++].asc = asc == NULL || json_is_true(asc);
	}
	return true;
}

json_t *
jmap_mailbox_query_ids(struct jmap_call *c, char state[JMAP_ID_MAX],
    json_t **err)
{
	struct sort_keys keys;
	struct jmap_mbox_list l;
	json_t *filter = json_object_get(c->args, "filter");
	if (!parse_sort(json_object_get(c->args, "sort"), &keys)) {
		*err = jmap_error("unsupportedSort", NULL);
		return NULL;
	}
	if (!jmap_state(c, state, err))
		return NULL;
	int rc = jmap_mbox_list_load(c->account->store, &l);
	if (rc != STORE_OK) {
		*err = jmap_store_error(c, rc);
		return NULL;
	}
	json_t *ids = json_array();
	const struct jmap_mbox **v = calloc(l.n + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; v != NULL && i < l.n; i++) {
		int r = filter == NULL || json_is_null(filter) ? 1 :
		    match(&l, &l.v[i], filter, 0);
		if (r < 0) {
			*err = jmap_error("unsupportedFilter", NULL);
			break;
		}
		if (r)
			v[n++] = &l.v[i];
	}
	if (v == NULL || ids == NULL || *err != NULL) {
		if (*err == NULL)
			*err = jmap_error("serverFail", NULL);
		json_decref(ids);
		ids = NULL;
		n = 0;
	}
	if (n > 0)
		qsort_r(v, n, sizeof(*v), cmp_mbox, &keys);
	for (size_t i = 0; i < n; i++) {
		char id[JMAP_ID_MAX];
		jmap_id_fmt(id, 'M', v[i]->id);
		json_array_append_new(ids, json_string(id));
	}
	free(v);
	jmap_mbox_list_free(&l);
	return ids;
}
