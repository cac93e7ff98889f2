/* jmap_sieve: SieveScript/get, /query and /validate (RFC 9661 sections
 * 2.3, 2.5 and 2.6); /set is jmap_sieve_set.c. */
#include "jmap_sieve.h"

#include <stdlib.h>
#include <string.h>

static const char *const props[] = { "id", "name", "blobId", "isActive",
	NULL };

/* The script as the client sees it; its source is read only when
 * blobId is asked for. NULL with *rc on a store failure. */
static json_t *
script_json(struct jmap_call *c, const struct jmap_sieve_script *s,
    json_t *wanted, int *rc)
{
	json_t *o = json_pack("{sssssb}", "id", s->id, "name", s->name,
	    "isActive", s->active);
	if (o == NULL || json_object_get(wanted, "blobId") == NULL)
		return o;
	struct buf src = BUF_INIT(SIEVE_SRC_MAX);
	char blob[JMAP_BLOBID_MAX];
	*rc = store_sieve_get(c->account->store, s->name, &src);
	if (*rc == STORE_OK) {
		jmap_sieve_blobid(src.data, src.len, blob);
		json_object_set_new(o, "blobId", json_string(blob));
	} else if (*rc == STORE_E_NOTFOUND) {   /* gone since the listing */
		json_object_set_new(o, "blobId", json_null());
		*rc = STORE_OK;
	} else {
		json_decref(o);
		o = NULL;
	}
	buf_free(&src);
	return o;
}

/* The scripts of ids (all when NULL) into res's list, the rest into
 * notFound. False: a store failure (*err set). */
static bool
fill_get(struct jmap_call *c, const struct jmap_sieve_list *l, json_t *ids,
    json_t *wanted, json_t *res, json_t **err)
{
	json_t *list = json_object_get(res, "list");
	size_t n = ids != NULL ? json_array_size(ids) : l->n;
	for (size_t i = 0; i < n; i++) {
		json_t *want = ids != NULL ? json_array_get(ids, i) : NULL;
		const struct jmap_sieve_script *s = want != NULL ?
		    jmap_sieve_by_id(c, l, json_string_value(want)) : &l->v[i];
		int rc = STORE_OK;
		if (s == NULL) {
			json_array_append(json_object_get(res, "notFound"), want);
			continue;
		}
		json_t *o = script_json(c, s, wanted, &rc);
		if (o == NULL) {
			*err = jmap_store_error(c, rc);
			return false;
		}
		jmap_filter_properties(o, wanted);
		json_array_append_new(list, o);
	}
	return true;
}

json_t *
jmap_sieve_get(struct jmap_call *c, json_t **err)
{
	json_t *ids, *wanted, *res = NULL;
	char state[JMAP_ID_MAX];
	struct jmap_sieve_list l;
	if (!jmap_check_account(c, err) || !jmap_get_ids(c, &ids, err) ||
	    !jmap_get_properties(c, props, props, NULL, &wanted, err))
		return NULL;
	int rc = jmap_sieve_list_load(c, &l);
	if (rc != STORE_OK)
		*err = jmap_store_error(c, rc);
	else if (jmap_state(c, state, err))
		res = jmap_get_response(c, state);
	if (res != NULL && !fill_get(c, &l, ids, wanted, res, err)) {
		json_decref(res);
		res = NULL;
	}
	jmap_sieve_list_free(&l);
	json_decref(wanted);
	return res;
}

/* ---- query ---------------------------------------------------------------- */

#define SIEVE_FILTER_DEPTH 8
#define SIEVE_SORT_MAX 2

/* Does s match filter f (a FilterOperator or a FilterCondition of name,
 * isActive)? -1: unsupported. */
static int
matches(const struct jmap_sieve_script *s, json_t *f, int depth)
{
	const char *op = json_string_value(json_object_get(f, "operator"));
	const char *k;
	json_t *v;
	if (!json_is_object(f) || depth > SIEVE_FILTER_DEPTH)
		return -1;
	if (op != NULL) {
		json_t *conds = json_object_get(f, "conditions");
		size_t i, yes = 0;
		bool and = strcmp(op, "AND") == 0, or = strcmp(op, "OR") == 0;
		if (!json_is_array(conds) || (!and && !or &&
		    strcmp(op, "NOT") != 0))
			return -1;
		json_array_foreach(conds, i, v) {
			int r = matches(s, v, depth + 1);
			if (r < 0)
				return -1;
			yes += (size_t)r;
		}
		return and ? yes == json_array_size(conds) : or ? yes > 0 :
		    yes == 0;
	}
	int r = 1;
	json_object_foreach(f, k, v) {
		if (strcmp(k, "name") == 0 && json_is_string(v))
			r &= strstr(s->name, json_string_value(v)) != NULL;
		else if (strcmp(k, "isActive") == 0 && json_is_boolean(v))
			r &= s->active == json_is_true(v);
		else
			return -1;
	}
	return r;
}

struct sieve_sort {
	struct {
		bool by_name, asc;
	} k[SIEVE_SORT_MAX];
	size_t n;
};

static int
cmp_script(const void *a, const void *b, void *arg)
{
	const struct sieve_sort *o = arg;
	const struct jmap_sieve_script *x = *(const void *const *)a;
	const struct jmap_sieve_script *y = *(const void *const *)b;
	for (size_t i = 0; i < o->n; i++) {
		int r = o->k[i].by_name ? strcmp(x->name, y->name) :
		    (int)x->active - (int)y->active;
		if (r != 0)
			return o->k[i].asc ? r : -r;
	}
	return strcmp(x->name, y->name);
}

/* The sort argument (name, isActive); false: unsupportedSort. */
static bool
sort_keys(json_t *sort, struct sieve_sort *o)
{
	size_t i;
	json_t *s;
	o->n = 0;
	if (sort == NULL || json_is_null(sort))
		return true;
	if (!json_is_array(sort) || json_array_size(sort) > SIEVE_SORT_MAX)
		return false;
	json_array_foreach(sort, i, s) {
		const char *p = json_string_value(json_object_get(s, "property"));
		json_t *asc = json_object_get(s, "isAscending");
		if (p == NULL || (strcmp(p, "name") != 0 &&
		    strcmp(p, "isActive") != 0) ||
		    (asc != NULL && !json_is_boolean(asc)))
			return false;
		o->k[o->n].by_name = p[0] == 'n';
		o->k[o->n++].asc = asc == NULL || json_is_true(asc);
	}
	return true;
}

/* The matching scripts' ids in order; NULL with *err set. */
static json_t *
query_ids(struct jmap_call *c, const struct jmap_sieve_list *l,
    const struct sieve_sort *keys, json_t **err)
{
	json_t *filter = json_object_get(c->args, "filter");
	const struct jmap_sieve_script **v = calloc(l->n + 1, sizeof(*v));
	json_t *ids = json_array();
	size_t n = 0;
	for (size_t i = 0; v != NULL && ids != NULL && i < l->n; i++) {
		int r = filter == NULL || json_is_null(filter) ? 1 :
		    matches(&l->v[i], filter, 0);
		if (r < 0) {
			*err = jmap_error("unsupportedFilter", NULL);
			break;
		}
		if (r)
			v[n++] = &l->v[i];
	}
	if (v == NULL || ids == NULL || *err != NULL) {
		if (*err == NULL)
			*err = jmap_error("serverFail", NULL);
		json_decref(ids);
		free(v);
		return NULL;
	}
	qsort_r(v, n, sizeof(*v), cmp_script, (void *)keys);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(ids, json_string(v[i]->id));
	free(v);
	return ids;
}

json_t *
jmap_sieve_query(struct jmap_call *c, json_t **err)
{
	char state[JMAP_ID_MAX];
	struct sieve_sort keys;
	struct jmap_sieve_list l;
	json_t *res = NULL;
	if (!jmap_check_account(c, err))
		return NULL;
	if (!sort_keys(json_object_get(c->args, "sort"), &keys)) {
		*err = jmap_error("unsupportedSort", NULL);
		return NULL;
	}
	int rc = jmap_sieve_list_load(c, &l);
	if (rc != STORE_OK) {
		*err = jmap_store_error(c, rc);
		return NULL;
	}
	json_t *ids = jmap_state(c, state, err) ? query_ids(c, &l, &keys, err) :
	    NULL;
	if (ids != NULL)
		res = jmap_query_response(c, ids, state, err);
	/* there is no SieveScript/queryChanges */
	if (res != NULL)
		json_object_set_new(res, "canCalculateChanges", json_false());
	json_decref(ids);
	jmap_sieve_list_free(&l);
	return res;
}

/* ---- validate --------------------------------------------------------------- */

json_t *
jmap_sieve_validate(struct jmap_call *c, json_t **err)
{
	const char *blobid = json_string_value(json_object_get(c->args,
	    "blobId"));
	struct buf src = BUF_INIT(SIEVE_SRC_MAX), prog = BUF_INIT(
	    SIEVE_MAX_PROGRAM);
	json_t *e = NULL;
	int rc = STORE_OK;
	if (!jmap_check_account(c, err))
		return NULL;
	if (blobid == NULL) {
		*err = jmap_error("invalidArguments", "blobId");
		return NULL;
	}
	int r = jmap_sieve_blob_read(c, blobid, jmap_sieve_max_size(c), &src,
	    &rc);
	if (r == -3)
		*err = jmap_store_error(c, rc);
	else if (r == -1)
		e = json_pack("{sss[s]}", "type", "blobNotFound", "notFound",
		    blobid);
	else if (r == -2)
		e = jmap_error("tooLarge", "larger than maxSizeScript");
	else
		e = jmap_sieve_compile(&src, &prog);
	buf_free(&src);
	buf_free(&prog);
	if (*err != NULL) {
		json_decref(e);
		return NULL;
	}
	return json_pack("{ssso}", "accountId", c->account->account_id,
	    "error", e != NULL ? e : json_null());
}
