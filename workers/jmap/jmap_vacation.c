/* jmap_vacation: VacationResponse/get and /set (RFC 8621 section 8): the
 * one object "singleton", kept as a per-user document in stored. This
 * stores the settings; sending the replies belongs with Sieve and
 * submission, which do not exist yet (docs/jmap.md). */
#include "jmap_set.h"
#include "jmap_userobj.h"

#include <string.h>
#include <time.h>


static const char *const props[] = { "id", "isEnabled", "fromDate",
	"toDate", "subject", "textBody", "htmlBody", NULL };

/* The object: the defaults with what is stored over them. */
static json_t *
vacation(json_t *doc)
{
	json_t *v = json_pack("{sssbsnsnsnsnsn}", "id", "singleton",
	    "isEnabled", 0, "fromDate", "toDate", "subject", "textBody",
	    "htmlBody");
	for (size_t i = 1; props[i] != NULL; i++) {
		json_t *x = json_object_get(doc, props[i]);
		if (x != NULL)
			json_object_set(v, props[i], x);
	}
	return v;
}

json_t *
jmap_vacation_get(struct jmap_call *c, json_t **err)
{
	json_t *ids, *wanted, *v;
	char state[JMAP_ID_MAX];
	struct jmap_userobj o;
	size_t i;
	if (!jmap_check_account(c, err) || !jmap_get_ids(c, &ids, err) ||
	    !jmap_get_properties(c, props, props, NULL, &wanted, err))
		return NULL;
	int rc = jmap_userobj_load(c, JMAP_VACATION_KEY, &o);
	if (rc != STORE_OK || !jmap_state(c, state, err)) {
		if (rc != STORE_OK)
			*err = jmap_store_error(c, rc);
		json_decref(wanted);
		jmap_userobj_free(&o);
		return NULL;
	}
	json_t *res = jmap_get_response(c, state);
	json_t *obj = vacation(o.doc);
	jmap_filter_properties(obj, wanted);
	if (ids == NULL)
		json_array_append(json_object_get(res, "list"), obj);
	json_array_foreach(ids, i, v)
		json_array_append(json_object_get(res, strcmp(
		    json_string_value(v), "singleton") == 0 ? "list" :
		    "notFound"), strcmp(json_string_value(v), "singleton") == 0 ?
		    obj : v);
	json_decref(obj);
	json_decref(wanted);
	jmap_userobj_free(&o);
	return res;
}

static bool
utc_date_ok(json_t *v)
{
	struct tm tm = { 0 };
	const char *s = json_string_value(v);
	const char *e = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (e != NULL && *e == '.')             /* fractions of a second */
		e += 1 + strspn(e + 1, "0123456789");
	return json_is_null(v) || (e != NULL && strcmp(e, "Z") == 0);
}

/* The patch's first bad property, NULL when all are good. */
static const char *
bad_property(json_t *patch)
{
	const char *k;
	json_t *v;
	json_object_foreach(patch, k, v) {
		bool ok;
		if (strcmp(k, "isEnabled") == 0)
			ok = json_is_boolean(v);
		else if (strcmp(k, "fromDate") == 0 || strcmp(k, "toDate") == 0)
			ok = utc_date_ok(v);
		else if (strcmp(k, "subject") == 0 ||
		    strcmp(k, "textBody") == 0 || strcmp(k, "htmlBody") == 0)
			ok = json_is_null(v) || json_is_string(v);
		else
			ok = false;
		if (!ok)
			return k;
	}
	return NULL;
}

struct vset {
	struct jmap_call *c;
	json_t *err;
};

static void
op_create(void *ctx, json_t *create, json_t *created, json_t *not_created)
{
	const char *cid;
	json_t *v;
	(void)ctx;
	(void)created;
	json_object_foreach(create, cid, v)
		json_object_set_new(not_created, cid,
		    jmap_set_error("singleton", NULL));
}

static json_t *
op_update(void *ctx, const char *id, json_t *patch)
{
	struct vset *s = ctx;
	if (strcmp(id, "singleton") != 0)
		return jmap_set_error("notFound", NULL);
	if (!json_is_object(patch))
		return jmap_set_error("invalidPatch", NULL);
	const char *bad = bad_property(patch);
	if (bad != NULL)
		return jmap_set_error("invalidProperties", bad);
	int rc = STORE_E_CONFLICT;
	/* another session's save in between: read again, apply again */
	for (int tries = 0; tries < 3 && rc == STORE_E_CONFLICT; tries++) {
		struct jmap_userobj o;
		rc = jmap_userobj_load(s->c, JMAP_VACATION_KEY, &o);
		if (rc == STORE_OK && json_object_update(o.doc, patch) == 0)
			rc = jmap_userobj_save(s->c, JMAP_VACATION_KEY, &o);
		jmap_userobj_free(&o);
	}
	return rc == STORE_OK ? NULL : jmap_store_set_error(s->c, rc, &s->err);
}

static json_t *
op_destroy(void *ctx, const char *id)
{
	(void)ctx;
	(void)id;
	return jmap_set_error("singleton", NULL);
}

static const struct jmap_set_ops vacation_ops = {
	NULL, op_create, op_update, op_destroy,
};

json_t *
jmap_vacation_set(struct jmap_call *c, json_t **err)
{
	struct vset s = { .c = c };
	return jmap_set_run(c, &vacation_ops, &s, &s.err, err);
}
