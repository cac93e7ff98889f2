/* jmap_set: the frame of every Foo/set (RFC 8620 section 5.3): the
 * arguments, ifInState, maxObjectsInSet, oldState/newState and the
 * created/updated/destroyed maps; the type's file does each change. */
#include "jmap_set.h"

#include <string.h>

json_t *
jmap_set_error(const char *type, const char *property)
{
	json_t *e = jmap_error(type, NULL);
	if (e != NULL && property != NULL)
		json_object_set_new(e, "properties", json_pack("[s]", property));
	return e;
}

json_t *
jmap_store_set_error(struct jmap_call *c, int rc, json_t **method_err)
{
	switch (rc) {
	case STORE_E_EXISTS:
		return jmap_set_error("alreadyExists", NULL);
	case STORE_E_NOTFOUND:
		return jmap_set_error("notFound", NULL);
	case STORE_E_DENIED:
		return jmap_set_error("forbidden", NULL);
	case STORE_E_QUOTA:
	case STORE_E_NOSPACE:
		return jmap_set_error("overQuota", NULL);
	case STORE_E_LIMIT:
		return jmap_set_error("tooLarge", NULL);
	default:
		if (*method_err == NULL)
			*method_err = jmap_store_error(c, rc);
		return NULL;
	}
}

static bool
set_args(struct jmap_call *c, json_t **create, json_t **update,
    json_t **destroy, json_t **err)
{
	json_t *a = c->args;
	*create = json_object_get(a, "create");
	*update = json_object_get(a, "update");
	*destroy = json_object_get(a, "destroy");
	json_t *st = json_object_get(a, "ifInState");
	size_t i;
	json_t *v;
	if ((*create && !json_is_null(*create) && !json_is_object(*create)) ||
	    (*update && !json_is_null(*update) && !json_is_object(*update)) ||
	    (*destroy && !json_is_null(*destroy) && !json_is_array(*destroy)) ||
	    (st && !json_is_null(st) && !json_is_string(st))) {
		*err = jmap_error("invalidArguments", NULL);
		return false;
	}
	json_array_foreach(*destroy, i, v) {
		if (!json_is_string(v)) {
			*err = jmap_error("invalidArguments", "destroy");
			return false;
		}
	}
	if (json_object_size(*create) + json_object_size(*update) +
	    json_array_size(*destroy) > c->account->limits->max_objects_in_set) {
		*err = jmap_error("requestTooLarge", "more changes than "
		    "maxObjectsInSet");
		return false;
	}
	return true;
}

/* The id the client meant: "#creationId" of a record made earlier in the
 * request is reported by its real id (RFC 8620 5.3: updated, destroyed
 * and their not* maps are keyed by Id); anything else as given. */
static const char *
reported_id(const struct jmap_call *c, const char *id)
{
	const char *real = NULL;
	if (id[0] == '#' && c->created_ids != NULL)
		real = json_string_value(json_object_get(c->created_ids, id + 1));
	return real != NULL ? real : id;
}

/* Whether ids (an array) names id, directly or by the same #creationId. */
static bool
names(const struct jmap_call *c, json_t *ids, const char *id)
{
	size_t i;
	json_t *v;
	const char *real = reported_id(c, id);
	json_array_foreach(ids, i, v) {
		const char *d = json_string_value(v);
		if (d != NULL && strcmp(reported_id(c, d), real) == 0)
			return true;
	}
	return false;
}

/* The updates of the records the call does not destroy (late false), or
 * of those it does (late true: run after the destroys). RFC 8620 5.3: an
 * update of a record that is then destroyed is not made (willDestroy);
 * one whose destroy was refused is made as asked. False: pending. */
static bool
updates(const struct jmap_call *c, const struct jmap_set_ops *ops,
    void *ctx, json_t **pending, json_t *args[3], bool late, json_t *res)
{
	const char *k;
	json_t *v;
	json_t *upd = json_object_get(res, "updated");
	json_t *nupd = json_object_get(res, "notUpdated");
	json_object_foreach(args[1], k, v) {
		if (names(c, args[2], k) != late)
			continue;
		const char *id = reported_id(c, k);
		if (late && names(c, json_object_get(res, "destroyed"), id)) {
			json_object_set_new(nupd, id,
			    jmap_set_error("willDestroy", NULL));
			continue;
		}
		json_t *e = *pending ? NULL : ops->update(ctx, k, v);
		if (*pending)
			return false;
		json_object_set_new(e ? nupd : upd, id, e ? e : json_null());
	}
	return true;
}

static void
run(const struct jmap_call *c, const struct jmap_set_ops *ops, void *ctx,
    json_t **pending, json_t *args[3], json_t *res)
{
	size_t i;
	json_t *v;
	json_t *cr = json_object(), *ncr = json_object();
	json_t *del = json_array(), *ndel = json_object();
	json_object_set_new(res, "created", cr);
	json_object_set_new(res, "notCreated", ncr);
	json_object_set_new(res, "updated", json_object());
	json_object_set_new(res, "notUpdated", json_object());
	json_object_set_new(res, "destroyed", del);
	json_object_set_new(res, "notDestroyed", ndel);
	if (json_is_object(args[0]))
		ops->create(ctx, args[0], cr, ncr);
	if (!updates(c, ops, ctx, pending, args, false, res))
		return;
	json_array_foreach(args[2], i, v) {
		const char *id = json_string_value(v);
		json_t *e = *pending ? NULL : ops->destroy(ctx, id);
		if (*pending)
			return;
		if (e != NULL)
			json_object_set_new(ndel, reported_id(c, id), e);
		else
			json_array_append_new(del, json_string(reported_id(c, id)));
	}
	(void)updates(c, ops, ctx, pending, args, true, res);
}

json_t *
jmap_set_run(struct jmap_call *c, const struct jmap_set_ops *ops, void *ctx,
    json_t **pending, json_t **err)
{
	json_t *args[3];
	char old[JMAP_ID_MAX], new[JMAP_ID_MAX];
	if (!jmap_check_account(c, err) ||
	    !set_args(c, &args[0], &args[1], &args[2], err) ||
	    !jmap_state(c, old, err))
		return NULL;
	const char *want = json_string_value(json_object_get(c->args,
	    "ifInState"));
	if (want != NULL && strcmp(want, old) != 0) {
		*err = jmap_error("stateMismatch", NULL);
		return NULL;
	}
	json_t *res = json_pack("{ssss}", "accountId", c->account->account_id,
	    "oldState", old);
	if (res != NULL && (ops->begin == NULL || ops->begin(ctx)))
		run(c, ops, ctx, pending, args, res);
	if (*pending == NULL && res != NULL && jmap_state(c, new, err)) {
		json_object_set_new(res, "newState", json_string(new));
		return res;
	}
	if (*err == NULL)
		*err = *pending ? *pending : jmap_error("serverFail", NULL);
	else
		json_decref(*pending);
	*pending = NULL;
	json_decref(res);
	return NULL;
}
