/*
 * jmap_email_set: Email/set (RFC 8621 section 4.6) for what an email in
 * the store can change: keywords (IMAP flags and keywords on every copy),
 * mailboxIds (copies added from an existing one, copies removed), and
 * destroy (every copy expunged). Creates are jmap_email_set_create.c's.
 */
#include "jmap_email_set.h"
#include "jmap_set.h"

#include <stdlib.h>
#include <string.h>

struct eset {
	struct jmap_call *c;
	json_t *err;                   /* method-level: stop */
};

static json_t *
store_set_error(struct eset *s, int rc)
{
	return jmap_store_set_error(s->c, rc, &s->err);
}

/* ---- where the email is -------------------------------------------------------- */

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

/* Flags and keyword names to add and to remove on every copy. */
struct kwchange {
	uint32_t add, rm;
	const char *kadd[STORE_MAX_KEYWORDS], *krm[STORE_MAX_KEYWORDS];
	size_t nadd, nrm;
	bool any;
};

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
	int rc = store_keywords(s->c->account->store, &table, &ntable);
	if (rc != STORE_OK) {
		store_set_error(s, rc);
		return false;
	}
	for (size_t i = 0; i < ntable && k->nrm < STORE_MAX_KEYWORDS; i++)
		if (json_object_get(set, table[i]) == NULL)
			k->krm[k->nrm++] = table[i];
	return true;
}

static int
apply_keywords(struct store_conn *sc, const struct jmap_copies *l,
    const struct kwchange *k)
{
	int rc = STORE_OK;
	for (size_t i = 0; i < l->n && rc == STORE_OK; i++) {
		struct store_uids u;
		struct store_flags_result fr = { 0 };
		if ((rc = jmap_one_uid(&u, l->v[i].uid)) != STORE_OK)
			break;
		if (k->rm || k->nrm)
			rc = store_flags(sc, l->v[i].mailbox_id, &u,
			    STORE_FLAGS_REMOVE, k->rm, k->krm, k->nrm, 0, NULL,
			    NULL, &fr);
		if (rc == STORE_OK && (k->add || k->nadd))
			rc = store_flags(sc, l->v[i].mailbox_id, &u,
			    STORE_FLAGS_ADD, k->add, k->kadd, k->nadd, 0, NULL,
			    NULL, &fr);
		store_uids_free(&u);
		store_uids_free(&fr.failed);
	}
	return rc;
}

/* ---- mailboxIds -------------------------------------------------------------------- */

struct mbchange {
	uint64_t add[64], rm[64];
	size_t nadd, nrm;
	bool replace;                  /* "mailboxIds": the whole set */
	uint64_t keep[64];             /* replace: the set */
	size_t nkeep;
};

static bool
mb_put(struct eset *s, uint64_t *v, size_t *n, const char *id)
{
	uint64_t x;
	if (*n == 64 || !jmap_id_parse(s->c, id, 'M', &x))
		return false;
	v[(*n)++] = x;
	return true;
}

static bool
has(const uint64_t *v, size_t n, uint64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* Copy into the mailboxes it is not in yet, then drop the copies in
 * those it leaves (never the last: checked before). */
static int
apply_mailboxes(struct store_conn *sc, struct jmap_copies *l,
    const struct mbchange *m)
{
	const uint64_t *want = m->replace ? m->keep : m->add;
	size_t nwant = m->replace ? m->nkeep : m->nadd;
	int rc = STORE_OK;
	for (size_t i = 0; i < nwant && rc == STORE_OK; i++) {
		bool there = false;
		for (size_t j = 0; j < l->n; j++)
			there |= l->v[j].mailbox_id == want[i];
		if (there)
			continue;
		struct store_uids u;
		struct store_copy_result cr = { 0 };
		if ((rc = jmap_one_uid(&u, l->v[0].uid)) == STORE_OK)
			rc = store_copy(sc, l->v[0].mailbox_id, &u, want[i], &cr);
		store_uids_free(&u);
		store_uids_free(&cr.src);
		store_uids_free(&cr.dst);
	}
	for (size_t j = 0; j < l->n && rc == STORE_OK; j++) {
		bool leave = m->replace ? !has(m->keep, m->nkeep,
		    l->v[j].mailbox_id) : has(m->rm, m->nrm, l->v[j].mailbox_id);
		if (leave)
			rc = jmap_expunge_copy(sc, &l->v[j]);
	}
	return rc;
}

/* Would the email be in no mailbox afterwards? */
static bool
leaves_none(const struct jmap_copies *l, const struct mbchange *m)
{
	if (m->replace)
		return m->nkeep == 0;
	for (size_t j = 0; j < l->n; j++)
		if (!has(m->rm, m->nrm, l->v[j].mailbox_id))
			return false;
	return m->nadd == 0;
}

/* ---- update, destroy ----------------------------------------------------------------- */

/* The patch into kw and mb; NULL or a SetError. */
static json_t *
read_patch(struct eset *s, json_t *patch, struct kwchange *kw,
    struct mbchange *mb)
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
		} else {
			return jmap_set_error("invalidProperties", k);
		}
	}
	return NULL;
}

static json_t *
locate(struct eset *s, const char *idstr, struct jmap_copies *l)
{
	uint64_t id;
	if (!jmap_id_parse(s->c, idstr, 'E', &id))
		return jmap_set_error("notFound", NULL);
	int rc = jmap_email_copies(s->c->account->store, id, l);
	return rc == STORE_OK ? NULL : store_set_error(s, rc);
}

static json_t *
update_one(struct eset *s, const char *idstr, json_t *patch)
{
	struct kwchange kw = { 0 };
	struct mbchange mb = { 0 };
	struct jmap_copies l = { 0 };
	json_t *e = read_patch(s, patch, &kw, &mb);
	if (e == NULL && !s->err)
		e = locate(s, idstr, &l);
	if (e == NULL && !s->err && (mb.replace || mb.nadd || mb.nrm) &&
	    leaves_none(&l, &mb))
		e = jmap_set_error("invalidProperties", "mailboxIds");
	int rc = STORE_OK;
	if (e == NULL && !s->err && kw.any)
		rc = apply_keywords(s->c->account->store, &l, &kw);
	if (e == NULL && !s->err && rc == STORE_OK &&
	    (mb.replace || mb.nadd || mb.nrm))
		rc = apply_mailboxes(s->c->account->store, &l, &mb);
	if (e == NULL && rc != STORE_OK)
		e = store_set_error(s, rc);
	free(l.v);
	return e;
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

static json_t *
op_update(void *ctx, const char *id, json_t *patch)
{
	return update_one(ctx, id, patch);
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
	return jmap_set_run(c, &email_ops, &s, &s.err, err);
}
