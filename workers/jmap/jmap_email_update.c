/*
 * jmap_email_update: Email/set updates in few store requests. Every email
 * of the request is located in one STORE_EMAIL_LOCATE_MANY; then groups,
 * each one store request over a UID set of one mailbox: keyword changes
 * by (mailbox, change) as STORE_FLAGS; an email in one mailbox moving to
 * one other by (from, to) as STORE_MOVE; a mailbox added by (first copy's
 * mailbox, new one) as STORE_COPY; and once those are made, the copies
 * left by mailbox as \Deleted plus UID EXPUNGE of those UIDs. Each id
 * still gets its own answer: a group's store failure is each member's,
 * and an email whose copy failed keeps the copies it had.
 */
#include "jmap_email_update.h"
#include "jmap_set.h"

#include <stdlib.h>
#include <string.h>

/* One email of the update map. */
struct upd {
	const char *id;
	uint64_t email;
	struct kwchange kw;
	struct mbchange mb;
	struct jmap_snooze_change sn;
	struct jmap_copies l;
	json_t *err;                  /* its SetError, once it has one */
};

/* One store request's worth: one change on UIDs of one mailbox. */
#define GROUP_UIDS 4096               /* ranges stay below STORE_MAX_RANGES */
enum gkind { G_FLAGS, G_MOVE, G_COPY, G_EXPUNGE };
struct group {
	enum gkind kind;
	uint64_t mailbox, dest;       /* dest: a move's or copy's target */
	const struct kwchange *kw;    /* G_FLAGS: the change */
	struct store_uids uids;
	size_t nuids;
	size_t *members;              /* indexes into the upd array */
	size_t nmembers, cap;
};

struct email_ix {
	uint64_t email;
	size_t i;
};

struct batch {
	struct eset *s;
	struct upd *u;
	size_t n;
	struct group *g;
	size_t ng, gcap;
	struct email_ix *byid;        /* sorted by email, for the locate answer */
	size_t nbyid;
	bool oom;
};

static bool
pending(const struct batch *b, size_t i)
{
	return b->u[i].err == NULL;
}

/* A store failure on email i; false when it is the method's (stop). */
static bool
fail(struct batch *b, size_t i, int rc)
{
	if (b->u[i].err == NULL)
		b->u[i].err = jmap_store_set_error(b->s->c, rc, &b->s->err);
	return b->s->err == NULL;
}

static bool
read_all(struct batch *b, json_t *update)
{
	const char *k;
	json_t *v;
	b->u = calloc(json_object_size(update) + 1, sizeof(*b->u));
	if (b->u == NULL)
		return false;
	json_object_foreach(update, k, v) {
		struct upd *u = &b->u[b->n++];
		u->id = k;
		u->err = jmap_email_read_patch(b->s, v, &u->kw, &u->mb,
		    &u->sn);
		if (b->s->err != NULL)
			return true;
		if (u->err == NULL && !jmap_id_parse(b->s->c, k, 'E', &u->email))
			u->err = jmap_set_error("notFound", NULL);
	}
	return true;
}

/* ---- locate ------------------------------------------------------------------------ */

static int
cmp_ix(const void *a, const void *b)
{
	const struct email_ix *x = a, *y = b;
	return x->email < y->email ? -1 : x->email > y->email;
}

static bool
add_loc(struct jmap_copies *l, const struct store_email_loc *loc)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 2;
		struct store_email_loc *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return false;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *loc;
	return true;
}

static int
on_loc(void *arg, const struct store_email_loc *loc)
{
	struct batch *b = arg;
	size_t lo = 0, hi = b->nbyid;
	while (lo < hi) {              /* the first entry of the email */
		size_t mid = lo + (hi - lo) / 2;
		if (b->byid[mid].email < loc->emailid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < b->nbyid && b->byid[lo].email == loc->emailid; lo++)
		if (!add_loc(&b->u[b->byid[lo].i].l, loc)) {
			b->oom = true;
			return -1;
		}
	return 0;
}

static bool
locate_all(struct batch *b)
{
	uint64_t *ids = calloc(b->n + 1, sizeof(*ids));
	b->byid = calloc(b->n + 1, sizeof(*b->byid));
	if (ids == NULL || b->byid == NULL) {
		free(ids);
		return false;
	}
	for (size_t i = 0; i < b->n; i++)
		if (pending(b, i))
			b->byid[b->nbyid++] = (struct email_ix){ b->u[i].email, i };
	qsort(b->byid, b->nbyid, sizeof(*b->byid), cmp_ix);
	size_t nids = 0;
	for (size_t i = 0; i < b->nbyid; i++)
		if (nids == 0 || ids[nids - 1] != b->byid[i].email)
			ids[nids++] = b->byid[i].email;
	int rc = nids == 0 ? STORE_OK : store_email_locate_many(
	    b->s->c->account->store, ids, nids, on_loc, b);
	free(ids);
	if (b->oom)
		return false;
	for (size_t i = 0; i < b->n; i++) {
		if (!pending(b, i))
			continue;
		if (rc != STORE_OK) {
			if (!fail(b, i, rc))
				return true;
		} else if (b->u[i].l.n == 0) {
			b->u[i].err = jmap_set_error("notFound", NULL);
		} else if (jmap_mb_any(&b->u[i].mb) &&
		    jmap_mb_leaves_none(&b->u[i].l, &b->u[i].mb)) {
			b->u[i].err = jmap_set_error("invalidProperties",
			    "mailboxIds");
		}
	}
	return true;
}

/* ---- groups -------------------------------------------------------------------------- */

static bool
names_equal(const char *const *a, const char *const *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static bool
kw_equal(const struct kwchange *a, const struct kwchange *b)
{
	return a->add == b->add && a->rm == b->rm && a->nadd == b->nadd &&
	    a->nrm == b->nrm && names_equal(a->kadd, b->kadd, a->nadd) &&
	    names_equal(a->krm, b->krm, a->nrm);
}

/* The open group of (kind, mailbox, dest, kw), made if there is none. */
static struct group *
group_of(struct batch *b, enum gkind kind, uint64_t mailbox, uint64_t dest,
    const struct kwchange *kw)
{
	for (size_t i = 0; i < b->ng; i++) {
		struct group *g = &b->g[i];
		if (g->kind == kind && g->mailbox == mailbox &&
		    g->dest == dest && g->nuids < GROUP_UIDS &&
		    (kw == NULL || kw_equal(g->kw, kw)))
			return g;
	}
	if (b->ng == b->gcap) {
		size_t cap = b->gcap ? 2 * b->gcap : 8;
		struct group *v = realloc(b->g, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		b->g = v;
		b->gcap = cap;
	}
	struct group *g = &b->g[b->ng++];
	memset(g, 0, sizeof(*g));
	g->kind = kind;
	g->mailbox = mailbox;
	g->dest = dest;
	g->kw = kw;
	return g;
}

static bool
group_add(struct batch *b, enum gkind kind, uint64_t mailbox, uint64_t dest,
    const struct kwchange *kw, uint32_t uid, size_t member)
{
	struct group *g = group_of(b, kind, mailbox, dest, kw);
	if (g == NULL || store_uids_add(&g->uids, uid, uid) < 0)
		return false;
	g->nuids++;
	if (g->nmembers > 0 && g->members[g->nmembers - 1] == member)
		return true;
	if (g->nmembers == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 8;
		size_t *v = realloc(g->members, cap * sizeof(*v));
		if (v == NULL)
			return false;
		g->members = v;
		g->cap = cap;
	}
	g->members[g->nmembers++] = member;
	return true;
}

static void
groups_free(struct batch *b)
{
	for (size_t i = 0; i < b->ng; i++) {
		store_uids_free(&b->g[i].uids);
		free(b->g[i].members);
	}
	b->ng = 0;
}

/* A group's failure is each member's; false when it is the method's. */
static bool
group_failed(struct batch *b, const struct group *g, int rc)
{
	for (size_t i = 0; i < g->nmembers; i++)
		if (!fail(b, g->members[i], rc))
			return false;
	return true;
}

/* ---- keywords ----------------------------------------------------------------------- */

static int
flags_op(struct store_conn *sc, const struct group *g, enum store_flag_op op,
    uint32_t flags, const char *const *names, size_t nnames)
{
	struct store_flags_result fr = { 0 };
	int rc = store_flags(sc, g->mailbox, &g->uids, op, flags, names,
	    nnames, 0, NULL, NULL, &fr);
	store_uids_free(&fr.failed);
	return rc;
}

static int
flags_group(struct store_conn *sc, const struct group *g)
{
	const struct kwchange *k = g->kw;
	int rc = STORE_OK;
	if (k->rm || k->nrm)
		rc = flags_op(sc, g, STORE_FLAGS_REMOVE, k->rm, k->krm, k->nrm);
	if (rc == STORE_OK && (k->add || k->nadd))
		rc = flags_op(sc, g, STORE_FLAGS_ADD, k->add, k->kadd, k->nadd);
	return rc;
}

static void run_groups(struct batch *b);

static bool
keywords_all(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct upd *u = &b->u[i];
		if (!pending(b, i) || !u->kw.any)
			continue;
		for (size_t j = 0; j < u->l.n; j++)
			if (!group_add(b, G_FLAGS, u->l.v[j].mailbox_id, 0,
			    &u->kw, u->l.v[j].uid, i))
				return false;
	}
	run_groups(b);
	return true;
}

/* ---- mailboxIds ----------------------------------------------------------------------- */

/* An email in one mailbox whose patch leaves it in exactly one other:
 * a MOVE (the copy keeps its flags, as copy + expunge kept them). */
static bool
is_move(const struct upd *u, uint64_t *to)
{
	const struct mbchange *m = &u->mb;
	if (u->l.n != 1)
		return false;
	uint64_t from = u->l.v[0].mailbox_id;
	if (m->replace && m->nkeep == 1 && m->keep[0] != from)
		*to = m->keep[0];
	else if (!m->replace && m->nadd == 1 && m->add[0] != from &&
	    jmap_u64_in(m->rm, m->nrm, from))
		*to = m->add[0];
	else
		return false;
	return true;
}

static int
run_group(struct store_conn *sc, const struct group *g)
{
	struct store_copy_result cr = { 0 };
	struct store_uids gone = { 0 };
	uint64_t hms;
	int rc;
	switch (g->kind) {
	case G_FLAGS:
		rc = flags_group(sc, g);
		break;
	case G_MOVE:
		rc = store_move(sc, g->mailbox, &g->uids, g->dest, &cr);
		break;
	case G_COPY:
		rc = store_copy(sc, g->mailbox, &g->uids, g->dest, &cr);
		break;
	default:                      /* G_EXPUNGE: these UIDs only */
		rc = flags_op(sc, g, STORE_FLAGS_ADD, STORE_FLAG_DELETED,
		    NULL, 0);
		if (rc == STORE_OK)
			rc = store_expunge(sc, g->mailbox, &g->uids, &gone,
			    &hms);
		break;
	}
	store_uids_free(&cr.src);
	store_uids_free(&cr.dst);
	store_uids_free(&gone);
	return rc;
}

/* Send every group; a failed one's members get the error. */
static void
run_groups(struct batch *b)
{
	struct store_conn *sc = b->s->c->account->store;
	for (size_t i = 0; i < b->ng && b->s->err == NULL; i++) {
		int rc = run_group(sc, &b->g[i]);
		if (rc != STORE_OK && !group_failed(b, &b->g[i], rc))
			break;
	}
	groups_free(b);
}

/* Group the copies email i needs: a move, or a copy (from its first
 * one) into each mailbox it is not in yet. */
static bool
group_copies(struct batch *b, size_t i)
{
	const struct upd *u = &b->u[i];
	const struct mbchange *m = &u->mb;
	const uint64_t *want = m->replace ? m->keep : m->add;
	size_t nwant = m->replace ? m->nkeep : m->nadd;
	uint64_t to;
	if (is_move(u, &to))
		return group_add(b, G_MOVE, u->l.v[0].mailbox_id, to, NULL,
		    u->l.v[0].uid, i);
	for (size_t k = 0; k < nwant; k++) {
		bool there = false;
		for (size_t j = 0; j < u->l.n; j++)
			there |= u->l.v[j].mailbox_id == want[k];
		if (!there && !group_add(b, G_COPY, u->l.v[0].mailbox_id,
		    want[k], NULL, u->l.v[0].uid, i))
			return false;
	}
	return true;
}

/* Group the copies email i leaves (never its last: checked before). */
static bool
group_leaving(struct batch *b, size_t i)
{
	const struct upd *u = &b->u[i];
	const struct mbchange *m = &u->mb;
	uint64_t to;
	if (is_move(u, &to))
		return true;                  /* the MOVE took it */
	for (size_t j = 0; j < u->l.n; j++) {
		uint64_t mb = u->l.v[j].mailbox_id;
		bool leave = m->replace ? !jmap_u64_in(m->keep, m->nkeep, mb) :
		    jmap_u64_in(m->rm, m->nrm, mb);
		if (leave && !group_add(b, G_EXPUNGE, mb, 0, NULL,
		    u->l.v[j].uid, i))
			return false;
	}
	return true;
}

/* Moves and copies first, then the copies left behind are expunged, for
 * the emails whose copies all arrived. */
static bool
mailboxes_all(struct batch *b)
{
	bool (*const steps[])(struct batch *, size_t) = {
		group_copies, group_leaving,
	};
	for (size_t k = 0; k < 2 && b->s->err == NULL; k++) {
		for (size_t i = 0; i < b->n; i++)
			if (pending(b, i) && jmap_mb_any(&b->u[i].mb) &&
			    !steps[k](b, i))
				return false;
		run_groups(b);
	}
	return true;
}

/* Snoozes last: a patch that moves an email into \Snoozed and snoozes
 * it is made in that order. */
static void
snoozes_all(struct batch *b)
{
	for (size_t i = 0; i < b->n && b->s->err == NULL; i++)
		if (pending(b, i) && jmap_snooze_named(&b->u[i].sn))
			b->u[i].err = jmap_snooze_apply(b->s->c, b->u[i].email,
			    &b->u[i].sn, &b->s->err);
}

/* ---- the whole map ------------------------------------------------------------------ */

static void
answer(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		json_object_set_new(b->s->updates, b->u[i].id,
		    b->u[i].err ? b->u[i].err : json_null());
		b->u[i].err = NULL;
	}
}

static void
batch_free(struct batch *b)
{
	groups_free(b);
	free(b->g);
	for (size_t i = 0; i < b->n; i++) {
		free(b->u[i].l.v);
		jmap_snooze_change_free(&b->u[i].sn);
		json_decref(b->u[i].err);
	}
	free(b->u);
	free(b->byid);
}

void
jmap_email_update_all(struct eset *s, json_t *update)
{
	struct batch b = { .s = s };
	s->updates = json_object();
	bool ok = s->updates != NULL && read_all(&b, update);
	if (ok && s->err == NULL)
		ok = locate_all(&b);
	if (ok && s->err == NULL)
		ok = keywords_all(&b);
	if (ok && s->err == NULL)
		ok = mailboxes_all(&b);
	if (ok && s->err == NULL)
		snoozes_all(&b);
	if (!ok && s->err == NULL)
		s->err = jmap_store_error(s->c, STORE_E_INTERNAL);
	if (ok && s->err == NULL)
		answer(&b);
	batch_free(&b);
}
