/* jmap_snooze: Email `snoozed` to and from the store (see jmap_snooze.h). */
#include "jmap_snooze.h"
#include "jmap_email_set.h"
#include "jmap_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool
jmap_snooze_key(const char *k)
{
	return strcmp(k, "snoozed") == 0 || strncmp(k, "snoozed/", 8) == 0;
}

bool
jmap_snooze_read(struct jmap_snooze_change *sn, const char *k, json_t *v)
{
	if (strcmp(k, "snoozed") == 0) {
		if (!json_is_object(v) && !json_is_null(v))
			return false;
		json_decref(sn->whole);
		sn->whole = json_incref(v);
		return true;
	}
	if (sn->parts == NULL && (sn->parts = json_object()) == NULL)
		return false;
	return json_object_set(sn->parts, k + 8, v) == 0;
}

bool
jmap_snooze_named(const struct jmap_snooze_change *sn)
{
	return sn->whole != NULL || sn->parts != NULL;
}

void
jmap_snooze_change_free(struct jmap_snooze_change *sn)
{
	json_decref(sn->whole);
	json_decref(sn->parts);
	sn->whole = sn->parts = NULL;
}

/* ---- the value in the store ------------------------------------------------------- */

/* "\\Seen \\Flagged $x" -> {"$seen": on, "$flagged": on, "$x": on} into o. */
static void
names_to_keywords(json_t *o, const char *list, bool on)
{
	char name[STORE_KEYWORD_MAX + 2];
	while (*list != '\0') {
		size_t n = strcspn(list, " ");
		if (n > 0 && n < sizeof(name)) {
			memcpy(name, list, n);
			name[n] = '\0';
			/* the store names flags as IMAP does */
			json_object_set_new(o, jmap_keyword_imap(name),
			    json_boolean(on));
		}
		list += n + (list[n] == ' ');
	}
}

/* Each snooze the store lists into the map, by email id ("E..."). */
static int
got_snooze(void *arg, const struct store_snooze *s)
{
	json_t *map = arg;
	char until[32], id[JMAP_ID_MAX];
	jmap_utc_date(until, sizeof(until), s->until);
	json_t *v = json_pack("{ss}", "until", until);
	if (v == NULL)
		return -1;
	if (s->mailbox_id != 0) {
		jmap_id_fmt(id, 'M', s->mailbox_id);
		json_object_set_new(v, "moveToMailboxId", json_string(id));
	}
	if (s->add[0] != '\0' || s->rm[0] != '\0') {
		json_t *k = json_object();
		names_to_keywords(k, s->add, true);
		names_to_keywords(k, s->rm, false);
		json_object_set_new(v, "setKeywords", k);
	}
	jmap_id_fmt(id, 'E', s->emailid);
	return json_object_set_new(map, id, v);
}

json_t *
jmap_snooze_get_many(struct store_conn *sc, const uint64_t *ids, size_t n,
    int *rc)
{
	json_t *map = json_object();
	*rc = map == NULL ? STORE_E_INTERNAL : n == 0 ? STORE_OK :
	    store_snooze_get(sc, ids, n, got_snooze, map);
	if (*rc != STORE_OK) {
		json_decref(map);
		return NULL;
	}
	return map;
}

json_t *
jmap_snooze_get(struct store_conn *sc, uint64_t emailid, int *rc)
{
	char id[JMAP_ID_MAX];
	json_t *map = jmap_snooze_get_many(sc, &emailid, 1, rc);
	if (map == NULL)
		return NULL;
	jmap_id_fmt(id, 'E', emailid);
	json_t *v = json_object_get(map, id);
	v = v ? json_incref(v) : json_null();
	json_decref(map);
	return v;
}

/* ---- the value a patch makes --------------------------------------------------------- */

/* A UTCDate as unix seconds, a fraction rounding up: a snooze never
 * wakes before the time it names. */
static bool
utc_seconds(json_t *v, uint64_t *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *s = json_string_value(v);
	const char *e = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	bool frac = false;
	if (e != NULL && *e == '.') {
		size_t digits = strspn(e + 1, "0123456789");
		frac = strspn(e + 1, "0") < digits;
		e += 1 + digits;
	}
	if (e == NULL || strcmp(e, "Z") != 0)
		return false;
	time_t t = timegm(&tm);
	if (t < 0)
		return false;
	*out = (uint64_t)t + frac;
	return true;
}

/* path ("until", "setKeywords/$seen", ...) set to v in o (null: out). */
static bool
set_path(json_t *o, const char *path, json_t *v)
{
	const char *slash = strchr(path, '/');
	if (slash != NULL) {
		if (strncmp(path, "setKeywords/", 12) != 0 || path[12] == '\0')
			return false;
		json_t *k = json_object_get(o, "setKeywords");
		if (k == NULL) {
			k = json_object();
			json_object_set_new(o, "setKeywords", k);
		}
		return json_is_object(k) && (json_is_null(v) ?
		    (json_object_del(k, path + 12), true) :
		    json_object_set(k, path + 12, v) == 0);
	}
	if (json_is_null(v))
		return json_object_del(o, path), true;
	return json_object_set(o, path, v) == 0;
}

/* setKeywords into the store's two lists; false if one is not a keyword. */
static bool
keyword_lists(json_t *k, struct store_snooze *s)
{
	const char *name;
	json_t *on;
	size_t na = 0, nr = 0;
	json_object_foreach(k, name, on) {
		uint32_t flag;
		if (!json_is_boolean(on) || !jmap_keyword_ok(name, &flag))
			return false;
		const char *imap = jmap_keyword_imap(name);
		char *dst = json_is_true(on) ? s->add : s->rm;
		size_t *n = json_is_true(on) ? &na : &nr;
		int w = snprintf(dst + *n, STORE_SNOOZE_FLAGS_MAX + 1 - *n, "%s%s",
		    *n ? " " : "", imap);
		if (w < 0 || (size_t)w > STORE_SNOOZE_FLAGS_MAX - *n)
			return false;
		*n += (size_t)w;
	}
	return true;
}

/* The object into s; the name of the bad property, NULL when good. */
static const char *
to_store(struct jmap_call *c, json_t *o, struct store_snooze *s)
{
	const char *k;
	json_t *v;
	s->add[0] = s->rm[0] = '\0';
	s->mailbox_id = 0;
	s->until = 0;
	json_object_foreach(o, k, v) {
		if (strcmp(k, "until") == 0) {
			if (!utc_seconds(v, &s->until) ||
			    s->until <= (uint64_t)time(NULL))
				return "snoozed/until";
		} else if (strcmp(k, "moveToMailboxId") == 0) {
			if (!jmap_id_parse(c, json_string_value(v), 'M',
			    &s->mailbox_id))
				return "snoozed/moveToMailboxId";
		} else if (strcmp(k, "setKeywords") == 0) {
			if (!json_is_object(v) || !keyword_lists(v, s))
				return "snoozed/setKeywords";
		} else {
			return "snoozed";
		}
	}
	return s->until == 0 ? "snoozed/until" : NULL;
}

const char *
jmap_snooze_value(struct jmap_call *c, json_t *current,
    const struct jmap_snooze_change *sn, struct store_snooze *s)
{
	json_t *o = json_deep_copy(sn->whole ? sn->whole : current);
	const char *path, *bad = o == NULL ? "snoozed" : NULL;
	json_t *v;
	memset(s, 0, sizeof(*s));
	json_object_foreach(sn->parts, path, v)
		if (bad == NULL && (!json_is_object(o) || !set_path(o, path, v)))
			bad = "snoozed";
	if (bad == NULL && json_is_object(o))
		bad = to_store(c, o, s);
	json_decref(o);
	return bad;
}

json_t *
jmap_snooze_apply(struct jmap_call *c, uint64_t emailid,
    const struct jmap_snooze_change *sn, json_t **method_err)
{
	struct store_conn *sc = c->account->store;
	int rc = STORE_OK;
	json_t *now = sn->whole ? json_null() : jmap_snooze_get(sc, emailid, &rc);
	if (now == NULL)
		return jmap_store_set_error(c, rc, method_err);
	struct store_snooze *s = malloc(sizeof(*s));
	const char *bad = s ? jmap_snooze_value(c, now, sn, s) : NULL;
	json_decref(now);
	json_t *res = NULL;
	if (s == NULL) {
		res = jmap_store_set_error(c, STORE_E_INTERNAL, method_err);
	} else if (bad != NULL) {
		res = jmap_set_error("invalidProperties", bad);
	} else {
		s->emailid = emailid;
		rc = store_snooze_set(sc, s);
		if (rc == STORE_E_NOTFOUND && s->mailbox_id != 0)
			res = jmap_set_error("invalidProperties",
			    "snoozed/moveToMailboxId");
		else if (rc == STORE_E_MALFORMED)
			res = jmap_set_error("invalidProperties", "snoozed");
		else if (rc != STORE_OK)
			res = jmap_store_set_error(c, rc, method_err);
	}
	free(s);
	return res;
}
