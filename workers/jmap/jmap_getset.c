/* jmap_getset: the standard methods' shared arguments and answers. */
#include "jmap_getset.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
jmap_id_fmt(char *buf, char type, uint64_t v)
{
	snprintf(buf, JMAP_ID_MAX, "%c%" PRIu64, type, v);
}

/* Digits only, no leading zero, no overflow. */
static bool
parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return true;
}

bool
jmap_id_parse(const struct jmap_call *c, const char *s, char type,
    uint64_t *v)
{
	if (s == NULL)
		return false;
	if (s[0] == '#' && c != NULL && c->created_ids != NULL)
		s = json_string_value(json_object_get(c->created_ids, s + 1));
	return s != NULL && s[0] == type && parse_u64(s + 1, v);
}

bool
jmap_check_account(struct jmap_call *c, json_t **err)
{
	json_t *id = json_object_get(c->args, "accountId");
	if (!json_is_string(id)) {
		*err = jmap_error("invalidArguments", "accountId");
		return false;
	}
	if (strcmp(json_string_value(id), c->account->account_id) != 0) {
		*err = jmap_error("accountNotFound", NULL);
		return false;
	}
	return true;
}

bool
jmap_state(struct jmap_call *c, char buf[JMAP_ID_MAX], json_t **err)
{
	uint64_t st;
	int rc = store_state(c->account->store, &st);
	if (rc != STORE_OK) {
		*err = jmap_store_error(c, rc);
		return false;
	}
	snprintf(buf, JMAP_ID_MAX, "%" PRIu64, st);
	return true;
}

bool
jmap_state_parse(const char *s, uint64_t *v)
{
	return s != NULL && parse_u64(s, v);
}

bool
jmap_uint_arg(json_t *args, const char *name, uint64_t def, uint64_t *v)
{
	json_t *j = json_object_get(args, name);
	if (j == NULL || json_is_null(j)) {
		*v = def;
		return true;
	}
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return false;
	*v = (uint64_t)json_integer_value(j);
	return true;
}

bool
jmap_get_ids(struct jmap_call *c, json_t **ids, json_t **err)
{
	json_t *j = json_object_get(c->args, "ids");
	size_t i;
	json_t *v;
	*ids = NULL;
	if (j == NULL || json_is_null(j))
		return true;
	if (!json_is_array(j)) {
		*err = jmap_error("invalidArguments", "ids");
		return false;
	}
	if (json_array_size(j) > c->account->limits->max_objects_in_get) {
		*err = jmap_error("requestTooLarge", "more ids than "
		    "maxObjectsInGet");
		return false;
	}
	/* each id once (RFC 8620 section 5.1); c->args is this call's own
	 * object, the array a new one */
	json_t *seen = json_object(), *once = json_array();
	json_array_foreach(j, i, v) {
		if (!json_is_string(v)) {
			*err = jmap_error("invalidArguments", "ids");
			break;
		}
		if (json_object_get(seen, json_string_value(v)) != NULL)
			continue;
		json_object_set_new(seen, json_string_value(v), json_true());
		json_array_append(once, v);
	}
	json_decref(seen);
	if (*err != NULL) {
		json_decref(once);
		return false;
	}
	if (json_object_set_new(c->args, "ids", once) != 0) {
		*err = jmap_error("serverFail", NULL);
		return false;
	}
	*ids = once;
	return true;
}

static bool
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

bool
jmap_get_properties(struct jmap_call *c, const char *const *known,
    const char *const *def, bool (*also_ok)(const char *), json_t **props,
    json_t **err)
{
	json_t *j = json_object_get(c->args, "properties");
	json_t *out = json_object();
	size_t i;
	json_t *v;
	*props = NULL;
	if (out == NULL)
		return false;
	json_object_set_new(out, "id", json_true());
	if (j == NULL || json_is_null(j)) {
		for (; *def != NULL; def++)
			json_object_set_new(out, *def, json_true());
		*props = out;
		return true;
	}
	if (!json_is_array(j))
		goto bad;
	json_array_foreach(j, i, v) {
		if (!json_is_string(v) || (!in_list(known, json_string_value(v))
		    && (also_ok == NULL || !also_ok(json_string_value(v)))))
			goto bad;
		json_object_set_new(out, json_string_value(v), json_true());
	}
	*props = out;
	return true;
bad:
	json_decref(out);
	*err = jmap_error("invalidArguments", "properties");
	return false;
}

void
jmap_filter_properties(json_t *obj, json_t *props)
{
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(obj, tmp, k, v)
		if (json_object_get(props, k) == NULL)
			json_object_del(obj, k);
}

json_t *
jmap_get_response(struct jmap_call *c, const char *state)
{
	return json_pack("{ss ss s[] s[]}", "accountId", c->account->account_id,
	    "state", state, "list", "notFound");
}

static json_t *
id_list(const uint64_t *v, size_t n, char type)
{
	json_t *a = json_array();
	char id[JMAP_ID_MAX];
	for (size_t i = 0; a != NULL && i < n; i++) {
		jmap_id_fmt(id, type, v[i]);
		json_array_append_new(a, json_string(id));
	}
	return a;
}

json_t *
jmap_changes(struct jmap_call *c, jmap_store_changes_fn fn, char type,
    json_t **err)
{
	uint64_t since, max;
	json_t *s = json_object_get(c->args, "sinceState");
	if (!jmap_check_account(c, err))
		return NULL;
	if (!json_is_string(s) || !jmap_uint_arg(c->args, "maxChanges", 0,
	    &max) || max > UINT32_MAX) {
		*err = jmap_error("invalidArguments", "sinceState, maxChanges");
		return NULL;
	}
	if (json_is_integer(json_object_get(c->args, "maxChanges")) && max == 0) {
		*err = jmap_error("invalidArguments", "maxChanges is 0");
		return NULL;
	}
	if (!jmap_state_parse(json_string_value(s), &since)) {
		*err = jmap_error("cannotCalculateChanges", NULL);
		return NULL;
	}
	struct store_id_changes ch = { 0 };
	int rc = fn(c->account->store, since, (uint32_t)max, &ch);
	if (rc != STORE_OK) {
		*err = rc == STORE_E_CONFLICT ?
		    jmap_error("cannotCalculateChanges", NULL) :
		    jmap_store_error(c, rc);
		store_id_changes_free(&ch);
		return NULL;
	}
	char ns[JMAP_ID_MAX];
	snprintf(ns, sizeof(ns), "%" PRIu64, ch.newstate);
	json_t *res = json_pack("{sssssssbsososo}",
	    "accountId", c->account->account_id,
	    "oldState", json_string_value(s), "newState", ns,
	    "hasMoreChanges", ch.more,
	    "created", id_list(ch.created, ch.ncreated, type),
	    "updated", id_list(ch.updated, ch.nupdated, type),
	    "destroyed", id_list(ch.destroyed, ch.ndestroyed, type));
	store_id_changes_free(&ch);
	return res;
}

void
jmap_utc_date(char *buf, size_t n, uint64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "1970-01-01T00:00:00Z");
}

bool
jmap_grow(void *v, size_t *cap, size_t n, size_t size)
{
	void **pv = v;
	if (n < *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 16;
	void *nv = reallocarray(*pv, ncap, size);
	if (nv == NULL)
		return false;
	*pv = nv;
	*cap = ncap;
	return true;
}

void
jmap_get_fill(json_t *res, json_t *all, json_t *ids, json_t *wanted)
{
	json_t *x, *v;
	size_t i, j;
	json_array_foreach(all, i, x) {
		bool want = ids == NULL;
		json_array_foreach(ids, j, v)
			want |= json_equal(v, json_object_get(x, "id"));
		jmap_filter_properties(x, wanted);
		if (want)
			json_array_append(json_object_get(res, "list"), x);
	}
	json_array_foreach(ids, j, v) {
		bool found = false;
		json_array_foreach(all, i, x)
			found |= json_equal(v, json_object_get(x, "id"));
		if (!found)
			json_array_append(json_object_get(res, "notFound"), v);
	}
}
