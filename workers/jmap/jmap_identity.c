/* jmap_identity: Identity/get, /changes and /set (RFC 8621 section 6).
 * Every user has the default identity "I0" (the user's address, see
 * jmap_user_address; it can be changed but not destroyed); more are
 * created with the same address (another is forbiddenFrom: nothing sends
 * mail yet, and nothing will from another user's address). They are kept
 * in one per-user document in stored:
 *   {"next": n, "items": {"I1": {...,"_c": m, "_m": m}},
 *    "gone": [["I2", m], ...], "floor": m}
 * where _c/_m are the modseq of the item's creation and last change and
 * "gone" the destroyed ids (the last GONE_MAX; "floor" the oldest state
 * that changes can still be told from). A change is saved with 0 for
 * "now": the version's modseq, which the next load fills in. */
#include "jmap_set.h"
#include "jmap_userobj.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define GONE_MAX 64

static const char *const props[] = { "id", "name", "email", "replyTo",
	"bcc", "textSignature", "htmlSignature", "mayDelete", NULL };

static uint64_t
u64(json_t *o, const char *k)
{
	return (uint64_t)json_integer_value(json_object_get(o, k));
}

/* _c/_m/gone saved as 0 happened at the version loaded. */
static void
resolve_now(struct jmap_userobj *o)
{
	const char *k;
	json_t *it, *g;
	size_t i;
	json_object_foreach(json_object_get(o->doc, "items"), k, it) {
		if (u64(it, "_c") == 0)
			json_object_set_new(it, "_c", json_integer(
			    (json_int_t)o->modseq));
		if (u64(it, "_m") == 0)
			json_object_set_new(it, "_m", json_integer(
			    (json_int_t)o->modseq));
	}
	json_array_foreach(json_object_get(o->doc, "gone"), i, g)
		if (json_integer_value(json_array_get(g, 1)) == 0)
			json_array_set_new(g, 1, json_integer(
			    (json_int_t)o->modseq));
}

static int
load(struct jmap_call *c, struct jmap_userobj *o)
{
	int rc = jmap_userobj_load(c, JMAP_IDENTITY_KEY, o);
	if (rc != STORE_OK)
		return rc;
	if (!json_is_object(json_object_get(o->doc, "items")))
		json_object_set_new(o->doc, "items", json_object());
	if (!json_is_array(json_object_get(o->doc, "gone")))
		json_object_set_new(o->doc, "gone", json_array());
	resolve_now(o);
	return STORE_OK;
}

/* The identity as the client sees it (a new reference). */
static json_t *
identity(struct jmap_call *c, const char *id, json_t *stored)
{
	char addr[512];
	jmap_user_address(c->account, addr, sizeof(addr));
	json_t *v = json_pack("{sssssssnsnsssssb}", "id", id, "name", "",
	    "email", addr, "replyTo", "bcc", "textSignature", "",
	    "htmlSignature", "", "mayDelete", strcmp(id, "I0") != 0);
	const char *k;
	json_t *x;
	json_object_foreach(stored, k, x)
		if (k[0] != '_' && strcmp(k, "id") != 0 &&
		    strcmp(k, "mayDelete") != 0)
			json_object_set(v, k, x);
	return v;
}

/* Every identity, the default first. */
static json_t *
all_identities(struct jmap_call *c, json_t *doc)
{
	json_t *items = json_object_get(doc, "items"), *list = json_array();
	const char *k;
	json_t *it;
	json_array_append_new(list, identity(c, "I0",
	    json_object_get(items, "I0")));
	json_object_foreach(items, k, it)
		if (strcmp(k, "I0") != 0)
			json_array_append_new(list, identity(c, k, it));
	return list;
}

json_t *
jmap_identity_get(struct jmap_call *c, json_t **err)
{
	json_t *ids, *wanted, *res = NULL;
	char state[JMAP_ID_MAX];
	struct jmap_userobj o = { 0 };
	if (!jmap_check_account(c, err) || !jmap_get_ids(c, &ids, err) ||
	    !jmap_get_properties(c, props, props, NULL, &wanted, err))
		return NULL;
	int rc = load(c, &o);
	if (rc != STORE_OK)
		*err = jmap_store_error(c, rc);
	else if (jmap_state(c, state, err))
		res = jmap_get_response(c, state);
	json_t *list = res ? all_identities(c, o.doc) : NULL;
	if (res != NULL)
		jmap_get_fill(res, list, ids, wanted);
	json_decref(list);
	json_decref(wanted);
	jmap_userobj_free(&o);
	return res;
}

/* ---- changes ---------------------------------------------------------------- */

json_t *
jmap_identity_changes(struct jmap_call *c, json_t **err)
{
	char state[JMAP_ID_MAX];
	uint64_t since, now;
	struct jmap_userobj o = { 0 };
	const char *since_s = json_string_value(json_object_get(c->args,
	    "sinceState"));
	if (!jmap_check_account(c, err))
		return NULL;
	if (!jmap_state_parse(since_s, &since)) {
		*err = jmap_error("invalidArguments", "sinceState");
		return NULL;
	}
	int rc = load(c, &o);
	if (rc != STORE_OK) {
		*err = jmap_store_error(c, rc);
		return NULL;
	}
	if (!jmap_state(c, state, err) || !jmap_state_parse(state, &now) ||
	    since > now || since < u64(o.doc, "floor")) {
		if (*err == NULL)
			*err = jmap_error("cannotCalculateChanges", NULL);
		jmap_userobj_free(&o);
		return NULL;
	}
	json_t *cr = json_array(), *up = json_array(), *de = json_array();
	const char *k;
	json_t *it;
	size_t i;
	json_object_foreach(json_object_get(o.doc, "items"), k, it) {
		bool fresh = strcmp(k, "I0") != 0 && u64(it, "_c") > since;
		if (fresh || u64(it, "_m") > since)
			json_array_append_new(fresh ? cr : up, json_string(k));
	}
	json_array_foreach(json_object_get(o.doc, "gone"), i, it)
		if ((uint64_t)json_integer_value(json_array_get(it, 1)) > since)
			json_array_append(de, json_array_get(it, 0));
	jmap_userobj_free(&o);
	return json_pack("{sssssssbsososo}", "accountId",
	    c->account->account_id, "oldState", since_s, "newState", state,
	    "hasMoreChanges", 0, "created", cr, "updated", up,
	    "destroyed", de);
}

/* ---- set ---------------------------------------------------------------------- */

static bool
addresses_ok(json_t *v)
{
	size_t i;
	json_t *a;
	if (json_is_null(v))
		return true;
	if (!json_is_array(v))
		return false;
	json_array_foreach(v, i, a) {
		json_t *n = json_object_get(a, "name");
		if (!json_is_object(a) || !json_is_string(json_object_get(a,
		    "email")) || (n && !json_is_null(n) && !json_is_string(n)))
			return false;
	}
	return true;
}

/* The first property of obj an identity cannot take (creating: email may
 * be given), NULL if none. */
static const char *
bad_property(json_t *obj, bool creating)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		bool ok;
		if (strcmp(k, "name") == 0 || strcmp(k, "textSignature") == 0 ||
		    strcmp(k, "htmlSignature") == 0)
			ok = json_is_string(v);
		else if (strcmp(k, "replyTo") == 0 || strcmp(k, "bcc") == 0)
			ok = addresses_ok(v);
		else
			ok = creating && strcmp(k, "email") == 0 &&
			    json_is_string(v);
		if (!ok)
			return k;
	}
	return NULL;
}

struct iset {
	struct jmap_call *c;
	json_t *err;
};

/* Load, change with fn, save; again when another session saved first. */
static json_t *
change(struct iset *s, json_t *(*fn)(struct iset *, json_t *, void *),
    void *arg)
{
	int rc = STORE_E_CONFLICT;
	json_t *e = NULL;
	for (int tries = 0; tries < 3 && rc == STORE_E_CONFLICT; tries++) {
		struct jmap_userobj o = { 0 };
		rc = load(s->c, &o);
		if (rc == STORE_OK) {
			json_decref(e);
			e = fn(s, o.doc, arg);
			if (e == NULL)
				rc = jmap_userobj_save(s->c, JMAP_IDENTITY_KEY, &o);
		}
		jmap_userobj_free(&o);
	}
	if (e != NULL || rc == STORE_OK)
		return e;
	return jmap_store_set_error(s->c, rc, &s->err);
}

struct create_arg {
	json_t *obj;
	char id[JMAP_ID_MAX];
};

static json_t *
do_create(struct iset *s, json_t *doc, void *arg)
{
	struct create_arg *a = arg;
	char addr[512];
	const char *email = json_string_value(json_object_get(a->obj, "email"));
	const char *bad = bad_property(a->obj, true);
	if (bad != NULL)
		return jmap_set_error("invalidProperties", bad);
	jmap_user_address(s->c->account, addr, sizeof(addr));
	if (email != NULL && strcasecmp(email, addr) != 0)
		return jmap_set_error("forbiddenFrom", NULL);
	uint64_t next = u64(doc, "next");
	snprintf(a->id, sizeof(a->id), "I%" PRIu64, next ? next : 1);
	json_object_set_new(doc, "next", json_integer((json_int_t)(next ?
	    next + 1 : 2)));
	json_t *it = json_deep_copy(a->obj);
	json_object_del(it, "email");
	json_object_set_new(it, "_c", json_integer(0));
	json_object_set_new(it, "_m", json_integer(0));
	json_object_set_new(json_object_get(doc, "items"), a->id, it);
	return NULL;
}

static void
op_create(void *ctx, json_t *create, json_t *created, json_t *not_created)
{
	struct iset *s = ctx;
	const char *cid;
	json_t *v;
	json_object_foreach(create, cid, v) {
		struct create_arg a = { .obj = v };
		json_t *e = json_is_object(v) ? change(s, do_create, &a) :
		    jmap_set_error("invalidProperties", NULL);
		if (s->err != NULL) {
			json_decref(e);
			return;
		}
		if (e != NULL) {
			json_object_set_new(not_created, cid, e);
			continue;
		}
		json_object_set_new(created, cid, json_pack("{sssb}", "id", a.id,
		    "mayDelete", 1));
		json_object_set_new(s->c->created_ids, cid, json_string(a.id));
	}
}

struct update_arg {
	const char *id;
	json_t *patch;
};

static json_t *
do_update(struct iset *s, json_t *doc, void *arg)
{
	struct update_arg *a = arg;
	json_t *items = json_object_get(doc, "items");
	json_t *it = json_object_get(items, a->id);
	json_t *email = json_object_get(a->patch, "email");
	char addr[512];
	jmap_user_address(s->c->account, addr, sizeof(addr));
	if (it == NULL && strcmp(a->id, "I0") != 0)
		return jmap_set_error("notFound", NULL);
	if (email != NULL && !(json_is_string(email) &&
	    strcasecmp(json_string_value(email), addr) == 0))
		return jmap_set_error("invalidProperties", "email");
	json_t *p = json_deep_copy(a->patch);
	json_object_del(p, "email");
	const char *bad = bad_property(p, false);
	json_t *e = bad ? jmap_set_error("invalidProperties", bad) : NULL;
	if (e == NULL && it == NULL) {
		it = json_object();
		json_object_set_new(items, a->id, it);
	}
	if (e == NULL) {
		json_object_update(it, p);
		json_object_set_new(it, "_m", json_integer(0));
	}
	json_decref(p);
	return e;
}

static json_t *
op_update(void *ctx, const char *id, json_t *patch)
{
	struct update_arg a = { id, patch };
	if (!json_is_object(patch))
		return jmap_set_error("invalidPatch", NULL);
	return change(ctx, do_update, &a);
}

static json_t *
do_destroy(struct iset *s, json_t *doc, void *arg)
{
	const char *id = arg;
	json_t *items = json_object_get(doc, "items");
	json_t *gone = json_object_get(doc, "gone");
	(void)s;
	if (strcmp(id, "I0") == 0)
		return jmap_set_error("forbidden", NULL);
	if (json_object_get(items, id) == NULL)
		return jmap_set_error("notFound", NULL);
	json_object_del(items, id);
	json_array_append_new(gone, json_pack("[si]", id, 0));
	while (json_array_size(gone) > GONE_MAX) {
		json_t *old = json_array_get(json_array_get(gone, 0), 1);
		if (json_integer_value(old) > json_integer_value(json_object_get(
		    doc, "floor")))
			json_object_set(doc, "floor", old);
		json_array_remove(gone, 0);
	}
	return NULL;
}

static json_t *
op_destroy(void *ctx, const char *id)
{
	return change(ctx, do_destroy, (void *)(uintptr_t)id);
}

static const struct jmap_set_ops identity_ops = {
	NULL, op_create, op_update, op_destroy,
};

json_t *
jmap_identity_set(struct jmap_call *c, json_t **err)
{
	struct iset s = { .c = c };
	return jmap_set_run(c, &identity_ops, &s, &s.err, err);
}
