/* jmap_sieve_set: SieveScript/set (RFC 9661 section 2.4). A create or a
 * blobId update reads the upload, compiles it here (sieve_compile: the
 * store parses nothing) and stores source and program; a name update is
 * the store's rename, the id staying; the active script cannot be
 * destroyed (sieveIsActive). isActive changes only through
 * onSuccessDeactivateScript and onSuccessActivateScript, done when every
 * change of the call succeeded, and reported in created or updated. */
#include "jmap_set.h"
#include "jmap_sieve.h"

#include <stdio.h>
#include <string.h>

struct sset {
	struct jmap_call *c;
	json_t *err;                  /* the method's error (store gone) */
	struct jmap_sieve_list l;     /* kept current as the call changes it */
};

static bool
op_begin(void *ctx)
{
	struct sset *s = ctx;
	int rc = jmap_sieve_list_load(s->c, &s->l);
	if (rc != STORE_OK)
		s->err = jmap_store_error(s->c, rc);
	return rc == STORE_OK;
}

/* The first property of obj that a create (or an update) cannot set. */
static const char *
bad_property(json_t *obj, const struct jmap_sieve_script *cur)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		bool ok;
		if (strcmp(k, "name") == 0)
			ok = json_is_string(v) ? jmap_sieve_name_ok(
			    json_string_value(v)) : json_is_null(v) && !cur;
		else if (strcmp(k, "blobId") == 0)
			ok = json_is_string(v);
		else if (strcmp(k, "isActive") == 0)   /* server-set */
			ok = json_is_boolean(v) && json_is_true(v) ==
			    (cur != NULL && cur->active);
		else
			ok = false;
		if (!ok)
			return k;
	}
	return NULL;
}

/* The upload blobid compiled: source and program filled, or a SetError. */
static json_t *
load_source(struct sset *s, const char *blobid, struct buf *src,
    struct buf *prog)
{
	int rc = STORE_OK;
	int r = jmap_sieve_blob_read(s->c, blobid, jmap_sieve_max_size(s->c),
	    src, &rc);
	if (r == -1)
		return json_pack("{sss[s]}", "type", "blobNotFound",
		    "notFound", blobid);
	if (r == -2)
		return jmap_error("tooLarge", "larger than maxSizeScript");
	if (r == -3)
		return jmap_store_set_error(s->c, rc, &s->err);
	return jmap_sieve_compile(src, prog);
}

/* Compile blobid and store it as script name: NULL or a SetError. */
static json_t *
put_script(struct sset *s, const char *name, const char *blobid,
    char blob_out[JMAP_BLOBID_MAX], uint64_t *size)
{
	struct buf src = BUF_INIT(SIEVE_SRC_MAX);
	struct buf prog = BUF_INIT(SIEVE_MAX_PROGRAM);
	json_t *e = load_source(s, blobid, &src, &prog);
	if (e == NULL && s->err == NULL) {
		int rc = store_sieve_put(s->c->account->store, name, src.data,
		    src.len, prog.data, prog.len);
		if (rc != STORE_OK)
			e = jmap_store_set_error(s->c, rc, &s->err);
		jmap_sieve_blobid(src.data, src.len, blob_out);
		*size = src.len;
	}
	buf_free(&src);
	buf_free(&prog);
	return e;
}

/* RFC 8620 5.3: alreadyExists names the record that has the name. */
static json_t *
already_exists(const struct jmap_sieve_script *dup)
{
	return json_pack("{ssss}", "type", "alreadyExists", "existingId",
	    dup->id);
}

/* A name for a script created without one: "script" and a number no
 * script has (one of the first n + 1 is free). */
static void
free_name(const struct jmap_sieve_list *l, char *name, size_t n)
{
	for (size_t i = 1; i <= l->n + 1; i++) {
		snprintf(name, n, "script%zu", i);
		if (jmap_sieve_by_name(l, name) == NULL)
			return;
	}
}

/* One create: its entry in created, or a SetError. */
static json_t *
create_one(struct sset *s, json_t *obj, json_t **created)
{
	char name[STORE_SIEVE_NAME_MAX + 1], blob[JMAP_BLOBID_MAX];
	const char *bad = json_is_object(obj) ? bad_property(obj, NULL) : "";
	const char *want = json_string_value(json_object_get(obj, "name"));
	const char *blobid = json_string_value(json_object_get(obj, "blobId"));
	const struct jmap_sieve_script *dup;
	unsigned max = s->c->account->limits->sieve_max_scripts;
	uint64_t size = 0;
	if (bad != NULL || blobid == NULL)
		return jmap_set_error("invalidProperties", bad == NULL ?
		    "blobId" : *bad ? bad : NULL);
	if (want != NULL && (dup = jmap_sieve_by_name(&s->l, want)) != NULL)
		return already_exists(dup);
	if (max != 0 && s->l.n >= max)
		return jmap_error("overQuota", "at most maxNumberScripts");
	if (want != NULL)
		snprintf(name, sizeof(name), "%s", want);
	else
		free_name(&s->l, name, sizeof(name));
	json_t *e = put_script(s, name, blobid, blob, &size);
	struct jmap_sieve_script x = { .size = size };
	int rc = e == NULL && s->err == NULL ? jmap_sieve_map_set(s->c, name,
	    NULL, NULL, x.id) : STORE_OK;
	if (rc != STORE_OK)
		e = jmap_store_set_error(s->c, rc, &s->err);
	if (e != NULL || s->err != NULL)
		return e;
	memcpy(x.name, name, strlen(name) + 1);
	if (jmap_grow(&s->l.v, &s->l.cap, s->l.n, sizeof(x)))
		s->l.v[s->l.n++] = x;
	*created = json_pack("{sssssssb}", "id", x.id, "name", name,
	    "blobId", blob, "isActive", 0);
	return NULL;
}

static void
op_create(void *ctx, json_t *create, json_t *created, json_t *not_created)
{
	struct sset *s = ctx;
	const char *cid;
	json_t *v;
	json_object_foreach(create, cid, v) {
		json_t *ok = NULL, *e = create_one(s, v, &ok);
		if (s->err != NULL) {
			json_decref(e);
			json_decref(ok);
			return;
		}
		if (e != NULL) {
			json_object_set_new(not_created, cid, e);
			continue;
		}
		json_object_set_new(s->c->created_ids, cid,
		    json_incref(json_object_get(ok, "id")));
		json_object_set_new(created, cid, ok);
	}
}

/* A new name for script x (no other script has it): the store's
 * rename, the id kept. */
static json_t *
rename_script(struct sset *s, struct jmap_sieve_script *x, const char *to)
{
	if (strcmp(x->name, to) == 0)
		return NULL;
	int rc = store_sieve_rename(s->c->account->store, x->name, to);
	if (rc == STORE_OK)
		rc = jmap_sieve_map_set(s->c, to, x->id, x->name, NULL);
	if (rc != STORE_OK)
		return jmap_store_set_error(s->c, rc, &s->err);
	snprintf(x->name, sizeof(x->name), "%s", to);
	return NULL;
}

static json_t *
op_update(void *ctx, const char *id, json_t *patch)
{
	struct sset *s = ctx;
	struct jmap_sieve_script *x = (struct jmap_sieve_script *)
	    jmap_sieve_by_id(s->c, &s->l, id);
	char blob[JMAP_BLOBID_MAX];
	if (x == NULL)
		return jmap_set_error("notFound", NULL);
	if (!json_is_object(patch))
		return jmap_set_error("invalidPatch", NULL);
	const char *bad = bad_property(patch, x);
	if (bad != NULL)
		return jmap_set_error("invalidProperties", bad);
	const char *blobid = json_string_value(json_object_get(patch,
	    "blobId"));
	const char *to = json_string_value(json_object_get(patch, "name"));
	const struct jmap_sieve_script *dup = to ? jmap_sieve_by_name(&s->l,
	    to) : NULL;
	json_t *e = NULL;
	if (dup != NULL && dup != x)   /* before the content changes */
		return already_exists(dup);
	if (blobid != NULL) {
		e = put_script(s, x->name, blobid, blob, &x->size);
		int rc = e == NULL && s->err == NULL ? jmap_sieve_map_set(s->c,
		    NULL, NULL, NULL, NULL) : STORE_OK;
		if (rc != STORE_OK)
			e = jmap_store_set_error(s->c, rc, &s->err);
	}
	if (e == NULL && s->err == NULL && to != NULL)
		e = rename_script(s, x, to);
	return e;
}

static json_t *
op_destroy(void *ctx, const char *id)
{
	struct sset *s = ctx;
	const struct jmap_sieve_script *x = jmap_sieve_by_id(s->c, &s->l, id);
	if (x == NULL)
		return jmap_set_error("notFound", NULL);
	if (x->active)
		return jmap_error("sieveIsActive", "deactivate it first");
	int rc = store_sieve_delete(s->c->account->store, x->name);
	if (rc == STORE_E_CONFLICT)   /* activated meanwhile elsewhere */
		return jmap_error("sieveIsActive", "deactivate it first");
	if (rc == STORE_OK || rc == STORE_E_NOTFOUND)
		rc = jmap_sieve_map_set(s->c, NULL, NULL, x->name, NULL);
	if (rc != STORE_OK)
		return jmap_store_set_error(s->c, rc, &s->err);
	size_t i = (size_t)(x - s->l.v);
	memmove(&s->l.v[i], &s->l.v[i + 1], (s->l.n - i - 1) * sizeof(*x));
	s->l.n--;
	return NULL;
}

static const struct jmap_set_ops sieve_ops = {
	op_begin, op_create, op_update, op_destroy,
};

/* ---- onSuccessDeactivateScript, onSuccessActivateScript ---------------- */

/* Report script id's new isActive: in created when this call made it,
 * else in updated (merged into what an update of it reported). */
static void
report_active(json_t *res, const char *id, bool active)
{
	const char *cid;
	json_t *v;
	json_object_foreach(json_object_get(res, "created"), cid, v) {
		const char *made = json_string_value(json_object_get(v, "id"));
		if (made != NULL && strcmp(made, id) == 0) {
			json_object_set_new(v, "isActive", json_boolean(active));
			return;
		}
	}
	json_t *upd = json_object_get(res, "updated");
	json_t *cur = json_object_get(upd, id);
	if (!json_is_object(cur)) {
		cur = json_object();
		json_object_set_new(upd, id, cur);
	}
	json_object_set_new(cur, "isActive", json_boolean(active));
}

/* Make target (NULL: none) the active script; STORE_OK or an error. */
static int
activate(struct jmap_call *c, struct jmap_sieve_list *l,
    struct jmap_sieve_script *target, json_t *res)
{
	struct jmap_sieve_script *cur = (struct jmap_sieve_script *)
	    jmap_sieve_active(l);
	if (cur == target)
		return STORE_OK;
	int rc = store_sieve_activate(c->account->store, target ?
	    target->name : "");
	if (rc != STORE_OK)
		return rc;
	if (cur != NULL) {
		cur->active = false;
		report_active(res, cur->id, false);
	}
	if (target != NULL) {
		target->active = true;
		report_active(res, target->id, true);
	}
	return STORE_OK;
}

/* After every change succeeded: the deactivation, then the activation
 * (RFC 9661 2.4); newState again when either changed anything. */
static json_t *
on_success(struct jmap_call *c, struct jmap_sieve_list *l, json_t *res,
    json_t **err)
{
	const char *want = json_string_value(json_object_get(c->args,
	    "onSuccessActivateScript"));
	bool off = json_is_true(json_object_get(c->args,
	    "onSuccessDeactivateScript"));
	char state[JMAP_ID_MAX];
	if (json_object_size(json_object_get(res, "notCreated")) ||
	    json_object_size(json_object_get(res, "notUpdated")) ||
	    json_object_size(json_object_get(res, "notDestroyed")) ||
	    (want == NULL && !off))
		return res;
	const struct jmap_sieve_script *before = jmap_sieve_active(l);
	int rc = off ? activate(c, l, NULL, res) : STORE_OK;
	/* an id that is not a script's is ignored */
	struct jmap_sieve_script *t = (struct jmap_sieve_script *)
	    jmap_sieve_by_id(c, l, want);
	if (rc == STORE_OK && t != NULL)
		rc = activate(c, l, t, res);
	if (rc == STORE_OK && jmap_sieve_active(l) != before)
		rc = jmap_sieve_map_set(c, NULL, NULL, NULL, NULL);
	if (rc == STORE_OK && jmap_state(c, state, err)) {
		json_object_set_new(res, "newState", json_string(state));
		return res;
	}
	if (*err == NULL)
		*err = jmap_store_error(c, rc);
	json_decref(res);
	return NULL;
}

json_t *
jmap_sieve_set(struct jmap_call *c, json_t **err)
{
	json_t *act = json_object_get(c->args, "onSuccessActivateScript");
	json_t *deact = json_object_get(c->args, "onSuccessDeactivateScript");
	if ((act != NULL && !json_is_null(act) && !json_is_string(act)) ||
	    (deact != NULL && !json_is_null(deact) && !json_is_boolean(deact))) {
		*err = jmap_error("invalidArguments", act && !json_is_string(
		    act) && !json_is_null(act) ? "onSuccessActivateScript" :
		    "onSuccessDeactivateScript");
		return NULL;
	}
	struct sset s = { .c = c };
	json_t *res = jmap_set_run(c, &sieve_ops, &s, &s.err, err);
	if (res != NULL)
		res = on_success(c, &s.l, res, err);
	jmap_sieve_list_free(&s.l);
	return res;
}
