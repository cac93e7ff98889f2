/* jmap_pushsub: PushSubscription/get and /set (RFC 8620 section 7.2), kept
 * as the user's JMAP_PUSHSUB_KEY document (jmap_pushsub.h). Ids and
 * verification codes are 128 random bits: a subscription cannot be named
 * by anyone who did not create it, and a push URL's owner cannot verify
 * it without the code cloister-pushd sent there. url and keys are never
 * returned (RFC 8620 7.2.1). */
#include "jmap_pushsub.h"
#include "jmap_set.h"
#include "jmap_userobj.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static const char *const props[] = { "id", "deviceClientId",
	"verificationCode", "expires", "types", NULL };

/* "P" and 32 hex digits (prefix 0) or 32 hex digits (a code). */
static bool
random_token(char *buf, size_t n, const char *prefix)
{
	unsigned char r[16];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return false;
	size_t o = (size_t)snprintf(buf, n, "%s", prefix);
	for (size_t i = 0; i < sizeof(r) && o + 2 < n; i++, o += 2)
		snprintf(buf + o, n - o, "%02x", r[i]);
	return true;
}

static bool
live(json_t *sub, uint64_t now)
{
	return (uint64_t)json_integer_value(json_object_get(sub, "expires")) >
	    now;
}

/* The client's view of a stored subscription. */
static json_t *
client_view(const char *id, json_t *sub, json_t *wanted)
{
	char date[32];
	jmap_utc_date(date, sizeof(date), (uint64_t)json_integer_value(
	    json_object_get(sub, "expires")));
	json_t *v = json_pack("{sssOsOsssO}", "id", id, "deviceClientId",
	    json_object_get(sub, "deviceClientId"), "verificationCode",
	    json_object_get(sub, "verificationCode"), "expires", date,
	    "types", json_object_get(sub, "types"));
	jmap_filter_properties(v, wanted);
	return v;
}

json_t *
jmap_pushsub_get(struct jmap_call *c, json_t **err)
{
	json_t *ids, *wanted, *v, *sub;
	struct jmap_userobj o;
	const char *id;
	size_t i;
	uint64_t now = (uint64_t)time(NULL);
	if (!jmap_get_ids(c, &ids, err) ||
	    !jmap_get_properties(c, props, props, NULL, &wanted, err))
		return NULL;
	int rc = jmap_userobj_load(c, JMAP_PUSHSUB_KEY, &o);
	if (rc != STORE_OK) {
		*err = jmap_store_error(c, rc);
		json_decref(wanted);
		jmap_userobj_free(&o);
		return NULL;
	}
	json_t *list = json_array(), *nf = json_array();
	json_object_foreach(o.doc, id, sub)
		if (ids == NULL && live(sub, now))
			json_array_append_new(list, client_view(id, sub, wanted));
	json_array_foreach(ids, i, v) {
		sub = json_object_get(o.doc, json_string_value(v));
		if (sub != NULL && live(sub, now))
			json_array_append_new(list, client_view(
			    json_string_value(v), sub, wanted));
		else
			json_array_append(nf, v);
	}
	json_decref(wanted);
	jmap_userobj_free(&o);
	return json_pack("{soso}", "list", list, "notFound", nf);
}

/* Drop the expired ones: they no longer count against the limit. */
static void
prune(json_t *doc, uint64_t now)
{
	const char *id;
	json_t *sub, *tmp;
	json_object_foreach_safe(doc, tmp, id, sub)
		if (!live(sub, now))
			json_object_del(doc, id);
}

static json_t *
create_one(json_t *doc, json_t *in, uint64_t now, char id[40])
{
	static const char *const allowed[] = { "deviceClientId", "url",
		"keys", "expires", "types", "verificationCode", NULL };
	const char *k;
	json_t *v;
	uint64_t exp;
	char code[40];
	if (!json_is_object(in))
		return jmap_set_error("invalidProperties", NULL);
	json_object_foreach(in, k, v) {
		size_t i = 0;
		while (allowed[i] != NULL && strcmp(allowed[i], k) != 0)
			i++;
		if (allowed[i] == NULL)
			return jmap_set_error("invalidProperties", k);
	}
	const char *dev = json_string_value(json_object_get(in,
	    "deviceClientId"));
	json_t *keys = json_object_get(in, "keys");
	json_t *types = json_object_get(in, "types");
	if (dev == NULL || dev[0] == '\0' || strlen(dev) > 255)
		return jmap_set_error("invalidProperties", "deviceClientId");
	if (!jmap_pushsub_url_ok(json_string_value(json_object_get(in, "url"))))
		return jmap_set_error("invalidProperties", "url");
	if (keys != NULL && !jmap_pushsub_keys_ok(keys))
		return jmap_set_error("invalidProperties", "keys");
	if (types != NULL && !jmap_pushsub_types_ok(types))
		return jmap_set_error("invalidProperties", "types");
	if (!json_is_null(json_object_get(in, "verificationCode")) &&
	    json_object_get(in, "verificationCode") != NULL)
		return jmap_set_error("invalidProperties", "verificationCode");
	if (!jmap_pushsub_expires(json_object_get(in, "expires"), now, &exp))
		return jmap_set_error("invalidProperties", "expires");
	if (json_object_size(doc) >= JMAP_PUSHSUB_MAX)
		return jmap_set_error("overQuota", NULL);
	if (!random_token(id, 40, "P") || !random_token(code, sizeof(code), ""))
		return jmap_set_error("serverFail", NULL);
	json_object_set_new(doc, id, json_pack("{sssOsOsssnsIsO}",
	    "deviceClientId", dev, "url", json_object_get(in, "url"),
	    "keys", keys ? keys : json_null(), "code", code,
	    "verificationCode", "expires", (json_int_t)exp,
	    "types", types ? types : json_null()));
	return NULL;
}

/* Only verificationCode (the one pushd sent) and expires may change. */
static json_t *
update_one(json_t *doc, const char *id, json_t *patch, uint64_t now)
{
	json_t *sub = json_object_get(doc, id);
	const char *k;
	json_t *v;
	uint64_t exp;
	if (sub == NULL || !live(sub, now))
		return jmap_set_error("notFound", NULL);
	if (!json_is_object(patch))
		return jmap_set_error("invalidPatch", NULL);
	json_object_foreach(patch, k, v) {
		if (strcmp(k, "verificationCode") == 0) {
			if (!json_is_string(v) || !json_equal(v,
			    json_object_get(sub, "code")))
				return jmap_set_error("invalidProperties", k);
		} else if (strcmp(k, "expires") == 0) {
			if (!jmap_pushsub_expires(v, now, &exp))
				return jmap_set_error("invalidProperties", k);
		} else {
			return jmap_set_error("invalidProperties", k);
		}
	}
	if ((v = json_object_get(patch, "verificationCode")) != NULL)
		json_object_set(sub, "verificationCode", v);
	if (json_object_get(patch, "expires") != NULL)
		json_object_set_new(sub, "expires", json_integer((json_int_t)exp));
	return NULL;
}

/* One pass of the whole call over doc, its results into res. */
static void
apply(struct jmap_call *c, json_t *doc, json_t *res, uint64_t now)
{
	json_t *create = json_object_get(c->args, "create");
	json_t *update = json_object_get(c->args, "update");
	json_t *destroy = json_object_get(c->args, "destroy");
	const char *k;
	json_t *v, *e;
	size_t i;
	char id[40], date[32];
	json_t *cr = json_object(), *ncr = json_object(), *up = json_object();
	json_t *nup = json_object(), *de = json_array(), *nde = json_object();
	json_object_foreach(create, k, v) {
		if ((e = create_one(doc, v, now, id)) != NULL) {
			json_object_set_new(ncr, k, e);
			continue;
		}
		jmap_utc_date(date, sizeof(date), (uint64_t)json_integer_value(
		    json_object_get(json_object_get(doc, id), "expires")));
		json_object_set_new(cr, k, json_pack("{ssss}", "id", id,
		    "expires", date));
		json_object_set_new(c->created_ids, k, json_string(id));
	}
	json_object_foreach(update, k, v) {
		const char *real = k[0] == '#' ? json_string_value(
		    json_object_get(c->created_ids, k + 1)) : k;
		e = update_one(doc, real ? real : k, v, now);
		json_object_set_new(e ? nup : up, real ? real : k,
		    e ? e : json_null());
	}
	json_array_foreach(destroy, i, v) {
		const char *d = json_string_value(v);
		const char *real = d[0] == '#' ? json_string_value(
		    json_object_get(c->created_ids, d + 1)) : d;
		if (real != NULL && json_object_get(doc, real) != NULL) {
			json_object_del(doc, real);
			json_array_append_new(de, json_string(real));
		} else {
			json_object_set_new(nde, d, jmap_set_error("notFound",
			    NULL));
		}
	}
	json_object_set_new(res, "created", cr);
	json_object_set_new(res, "notCreated", ncr);
	json_object_set_new(res, "updated", up);
	json_object_set_new(res, "notUpdated", nup);
	json_object_set_new(res, "destroyed", de);
	json_object_set_new(res, "notDestroyed", nde);
}

static bool
set_args_ok(struct jmap_call *c, json_t **err)
{
	json_t *cr = json_object_get(c->args, "create");
	json_t *up = json_object_get(c->args, "update");
	json_t *de = json_object_get(c->args, "destroy");
	size_t i;
	json_t *v;
	if ((cr && !json_is_null(cr) && !json_is_object(cr)) ||
	    (up && !json_is_null(up) && !json_is_object(up)) ||
	    (de && !json_is_null(de) && !json_is_array(de))) {
		*err = jmap_error("invalidArguments", NULL);
		return false;
	}
	json_array_foreach(de, i, v)
		if (!json_is_string(v)) {
			*err = jmap_error("invalidArguments", "destroy");
			return false;
		}
	if (json_object_size(cr) + json_object_size(up) +
	    json_array_size(de) > c->account->limits->max_objects_in_set) {
		*err = jmap_error("requestTooLarge", "more changes than "
		    "maxObjectsInSet");
		return false;
	}
	return true;
}

json_t *
jmap_pushsub_set(struct jmap_call *c, json_t **err)
{
	uint64_t now = (uint64_t)time(NULL);
	int rc = STORE_E_CONFLICT;
	json_t *res = NULL;
	if (!set_args_ok(c, err))
		return NULL;
	json_t *ids0 = json_copy(c->created_ids);
	/* another session's save in between: read again, apply again */
	for (int tries = 0; tries < 3 && rc == STORE_E_CONFLICT; tries++) {
		struct jmap_userobj o;
		json_decref(res);
		res = json_object();
		json_object_clear(c->created_ids);
		json_object_update(c->created_ids, ids0);
		rc = jmap_userobj_load(c, JMAP_PUSHSUB_KEY, &o);
		if (rc == STORE_OK) {
			prune(o.doc, now);
			apply(c, o.doc, res, now);
			rc = jmap_userobj_save(c, JMAP_PUSHSUB_KEY, &o);
		}
		jmap_userobj_free(&o);
	}
	json_decref(ids0);
	if (rc != STORE_OK) {
		json_decref(res);
		*err = jmap_store_error(c, rc);
		return NULL;
	}
	return res;
}
