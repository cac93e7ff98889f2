/*
 * jmap_email_set: Email/set (RFC 8621 section 4.6) for what an email in
 * the store can change: keywords (IMAP flags and keywords on every copy),
 * mailboxIds (copies added from an existing one, copies removed), and
 * destroy (every copy expunged). Creates are jmap_email_set_create.c's.
 */
#include "jmap_email_update.h"
#include "jmap_set.h"

#include <stdlib.h>
#include <string.h>

static json_t *
store_set_error(struct eset *s, int rc)
{
	return jmap_store_set_error(s->c, rc, &s->err);
}

/* ---- keywords -------------------------------------------------------------------- */

bool
jmap_keyword_ok(const char *k, uint32_t *flag)
{
	size_t n = strlen(k);
	*flag = jmap_keyword_flag(k);
	if (n == 0 || n > STORE_KEYWORD_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)k[i] <= ' ' || (unsigned char)k[i] >= 127 ||
		    strchr("(){]%*\"\\", k[i]) != NULL)
			return false;
	return true;
}

static bool
kw_put(struct kwchange *k, const char *name, bool on)
{
	uint32_t flag;
	if (!jmap_keyword_ok(name, &flag))
		return false;
	k->any = true;
	if (flag != 0) {
		if (on)
			k->add |= flag;
		else
			k->rm |= flag;
		return true;
	}
	const char **list = on ? k->kadd : k->krm;
	size_t *n = on ? &k->nadd : &k->nrm;
	if (*n == STORE_MAX_KEYWORDS)
		return false;
	list[(*n)++] = name;
	return true;
}

/* "keywords": the whole set: everything else in the table goes. */
static bool
kw_replace(struct eset *s, struct kwchange *k, json_t *set)
{
	const char *name;
	json_t *v;
	const char *const *table;
	size_t ntable;
	if (!json_is_object(set))
		return false;
	json_object_foreach(set, name, v)
		if (!json_is_true(v) || !kw_put(k, name, true))
			return false;
	k->rm |= JMAP_FLAGS & ~k->add;
	/* the table as it is now, read once per call: every patch of the
	 * call is read before any is made */
	int rc = s->kw_read ? store_keywords_cached(s->c->account->store,
	    &table, &ntable) : store_keywords(s->c->account->store, &table,
	    &ntable);
	s->kw_read = rc == STORE_OK;
	if (rc != STORE_OK) {
		store_set_error(s, rc);
		return false;
	}
	for (size_t i = 0; i < ntable && k->nrm < STORE_MAX_KEYWORDS; i++)
		if (json_object_get(set, table[i]) == NULL)
			k->krm[k->nrm++] = table[i];
	return true;
}

/* ---- mailboxIds -------------------------------------------------------------------- */

static bool
mb_put(struct eset *s, uint64_t *v, size_t *n, const char *id)
{
	uint64_t x;
	if (*n == JMAP_PATCH_MAILBOXES || !jmap_id_parse(s->c, id, 'M', &x))
		return false;
	v[(*n)++] = x;
	return true;
}

bool
jmap_mb_any(const struct mbchange *m)
{
	return m->replace || m->nadd || m->nrm;
}

bool
jmap_mb_leaves_none(const struct jmap_copies *l, const struct mbchange *m)
{
	if (m->replace)
		return m->nkeep == 0;
	for (size_t j = 0; j < l->n; j++)
		if (!jmap_u64_in(m->rm, m->nrm, l->v[j].mailbox_id))
			return false;
	return m->nadd == 0;
}

/* ---- update, destroy ----------------------------------------------------------------- */

json_t *
jmap_email_read_patch(struct eset *s, json_t *patch, struct kwchange *kw,
    struct mbchange *mb, struct jmap_snooze_change *sn)
{
	const char *k;
	json_t *v;
	if (!json_is_object(patch))
		return jmap_set_error("invalidPatch", NULL);
	json_object_foreach(patch, k, v) {
		bool on = json_is_true(v), off = json_is_null(v);
		if (strcmp(k, "keywords") == 0) {
			if (!kw_replace(s, kw, v))
				return s->err ? NULL :
				    jmap_set_error("invalidProperties", k);
		} else if (strncmp(k, "keywords/", 9) == 0) {
			if ((!on && !off) || !kw_put(kw, k + 9, on))
				return jmap_set_error("invalidProperties", k);
		} else if (strcmp(k, "mailboxIds") == 0) {
			const char *id;
			json_t *t;
			mb->replace = true;
			if (!json_is_object(v))
				return jmap_set_error("invalidProperties", k);
			json_object_foreach(v, id, t)
				if (!json_is_true(t) ||
				    !mb_put(s, mb->keep, &mb->nkeep, id))
					return jmap_set_error("invalidProperties", k);
		} else if (strncmp(k, "mailboxIds/", 11) == 0) {
			if ((!on && !off) || !mb_put(s, on ? mb->add : mb->rm,
			    on ? &mb->nadd : &mb->nrm, k + 11))
				return jmap_set_error("invalidProperties", k);
		} else if (jmap_snooze_key(k)) {
			if (!jmap_snooze_read(sn, k, v))
				return jmap_set_error("invalidProperties", k);
		} else {
			return jmap_set_error("invalidProperties", k);
		}
	}
	return NULL;
}

int
jmap_email_expunge(struct store_conn *sc, uint64_t emailid)
{
	struct jmap_copies l = { 0 };
	int rc = jmap_email_copies(sc, emailid, &l);
	for (size_t i = 0; rc == STORE_OK && i < l.n; i++)
		rc = jmap_expunge_copy(sc, &l.v[i]);
	free(l.v);
	return rc;
}

static json_t *
destroy_one(struct eset *s, const char *idstr)
{
	uint64_t id;
	if (!jmap_id_parse(s->c, idstr, 'E', &id))
		return jmap_set_error("notFound", NULL);
	int rc = jmap_email_expunge(s->c->account->store, id);
	return rc == STORE_OK ? NULL : store_set_error(s, rc);
}

/* ---- the method ------------------------------------------------------------------------ */

static void
op_create(void *ctx, json_t *create, json_t *created, json_t *not_created)
{
	struct eset *s = ctx;
	jmap_email_create(s->c, create, created, not_created, &s->err);
}

/* The first update does the whole map (creates are made by then:
 * "#creation" ids resolve); each id then takes its answer. */
static json_t *
op_update(void *ctx, const char *id, json_t *patch)
{
	struct eset *s = ctx;
	(void)patch;
	if (s->updates == NULL)
		jmap_email_update_all(s, json_object_get(s->c->args, "update"));
	json_t *e = s->err ? NULL : json_object_get(s->updates, id);
	return json_is_object(e) ? json_incref(e) : NULL;
}

static json_t *
op_destroy(void *ctx, const char *id)
{
	return destroy_one(ctx, id);
}

static const struct jmap_set_ops email_ops = {
	NULL, op_create, op_update, op_destroy,
};

json_t *
jmap_email_set(struct jmap_call *c, json_t **err)
{
	struct eset s = { .c = c };
	json_t *res = jmap_set_run(c, &email_ops, &s, &s.err, err);
	json_decref(s.updates);
	return res;
}
