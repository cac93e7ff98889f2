/* imap_view: the selected mailbox's UID map and its synchronisation with
 * the store (see imap_view.h). */
#include "imap_view.h"
#include "imap_fmt.h"
#include "imap_commands.h"
#include "imap_session.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static int
push_uid(struct imap_view *v, uint32_t uid)
{
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 256;
		uint32_t *nu = realloc(v->uids, ncap * sizeof(*nu));
		if (nu == NULL)
			return -1;
		v->uids = nu;
		v->cap = ncap;
	}
	v->uids[v->n++] = uid;
	return 0;
}

/* Insert uid keeping the map sorted (rare: phantom messages). */
static int
insert_uid(struct imap_view *v, uint32_t uid)
{
	if (push_uid(v, uid) < 0)
		return -1;
	size_t i = v->n - 1;
	while (i > 0 && v->uids[i - 1] > uid) {
		v->uids[i] = v->uids[i - 1];
		i--;
	}
	v->uids[i] = uid;
	return 0;
}

struct load {
	struct imap_view *v;
	bool failed;
};

static int
load_cb(void *arg, const struct store_msg *m)
{
	struct load *l = arg;
	/* UID order from the store; anything else would break the map */
	if ((l->v->n > 0 && m->uid <= l->v->uids[l->v->n - 1]) ||
	    push_uid(l->v, m->uid) < 0) {
		l->failed = true;
		return 1;
	}
	return 0;
}

/* IMAP4rev1 \Recent: a read-write view claims the UIDs no session has
 * seen (at SELECT and when new messages arrive), so that exactly one
 * session sees each message as recent; EXAMINE only looks. IMAP4rev2
 * has no \Recent, so a rev2 session neither claims nor asks. */
static int
take_recent(struct imap_session *s, struct imap_view *v)
{
	if (s->enabled & IMAP_EN_IMAP4REV2)
		return 0;
	uint32_t lo, hi;
	int rc = store_recent_claim(s->sc, v->id, !v->readonly, &lo, &hi);
	if (rc < 0)
		return rc;
	if (lo <= hi && store_uids_add(&v->recent, lo, hi) < 0)
		return STORE_E_PROTO;   /* out of memory: the worker exits */
	return 0;
}

static size_t lower_bound(const struct imap_view *v, uint32_t uid);

size_t
imap_view_recent_count(const struct imap_view *v)
{
	size_t n = 0;
	for (size_t i = 0; i < v->recent.n; i++) {
		const struct store_range *r = &v->recent.r[i];
		n += lower_bound(v, r->hi == UINT32_MAX ? r->hi : r->hi + 1) -
		    lower_bound(v, r->lo);
	}
	return n;
}

uint32_t
imap_view_recent_flag(const struct imap_session *s, uint32_t uid)
{
	const struct imap_view *v = s->view;
	/* rev2 has no \Recent, even for UIDs claimed before ENABLE */
	if (s->enabled & IMAP_EN_IMAP4REV2)
		return 0;
	return v != NULL && v->recent.n > 0 && store_uids_has(&v->recent, uid) ?
	    IMAP_FMT_RECENT : 0;
}

int
imap_view_open(struct imap_session *s, struct imap_view *v, uint64_t id,
    const char *name, bool readonly, const struct store_mbox_status *st)
{
	memset(v, 0, sizeof(*v));
	v->id = id;
	size_t nl = strlen(name);
	if (nl >= sizeof(v->name))
		return STORE_E_ARG;
	memcpy(v->name, name, nl + 1);
	v->readonly = readonly;
	v->uidvalidity = st->uidvalidity;
	v->uidnext = st->uidnext;
	v->modseq = st->highestmodseq;
	/* watch first: a change after this point is sure to be notified */
	int rc = store_watch(s->sc, id, true);
	if (rc < 0)
		return rc;
	struct load l = { v, false };
	rc = store_fetch(s->sc, id, &store_uids_all, 0, 0, load_cb, &l);
	if (rc < 0)
		return rc;
	if (l.failed)
		return STORE_E_PROTO;
	v->announced = v->n;
	v->store_messages = (uint32_t)v->n;
	if ((rc = take_recent(s, v)) < 0)
		return rc;
	v->recent_told = imap_view_recent_count(v);
	return 0;
}

void
imap_view_free(struct imap_view *v)
{
	free(v->uids);
	v->uids = NULL;
	v->n = v->cap = 0;
	store_uids_free(&v->gone);
	store_uids_free(&v->saved);
	store_uids_free(&v->recent);
}

size_t
imap_view_seq(const struct imap_view *v, uint32_t uid)
{
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->n && v->uids[lo] == uid ? lo + 1 : 0;
}

uint32_t
imap_view_last_uid(const struct imap_view *v)
{
	return v->n > 0 ? v->uids[v->n - 1] : 0;
}

/* First index with uids[i] >= uid. */
static size_t
lower_bound(const struct imap_view *v, uint32_t uid)
{
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Add uids[a..b] (indexes, inclusive) as UID ranges, merging runs. */
static int
add_index_range(const struct imap_view *v, size_t a, size_t b,
    struct store_uids *out)
{
	size_t i = a;
	while (i <= b) {
		size_t j = i;
		while (j < b && v->uids[j + 1] == v->uids[j] + 1)
			j++;
		if (store_uids_add(out, v->uids[i], v->uids[j]) < 0)
			return -1;
		i = j + 1;
	}
	return 0;
}

int
imap_view_resolve(const struct imap_view *v, const struct imap_seqset *set,
    bool uid, struct store_uids *out)
{
	store_uids_clear(out);
	if (set->saved) {
		/* $: the saved UIDs still in the view */
		for (size_t i = 0; i < v->saved.n; i++) {
			size_t a = lower_bound(v, v->saved.r[i].lo);
			size_t b = lower_bound(v, v->saved.r[i].hi);
			if (b < v->n && v->uids[b] == v->saved.r[i].hi)
				b++;
			if (a < b && add_index_range(v, a, b - 1, out) < 0)
				return -1;
		}
		return 0;
	}
	size_t count = v->announced < v->n ? v->announced : v->n;
	for (size_t i = 0; i < set->n; i++) {
		uint32_t lo = set->r[i].lo, hi = set->r[i].hi;
		if (uid) {
			uint32_t last = count > 0 ? v->uids[count - 1] : 0;
			if (hi == IMAP_STAR)
				hi = last;
			if (lo == IMAP_STAR)
				lo = last;
			if (lo > hi) {
				uint32_t t = lo;
				lo = hi;
				hi = t;
			}
			if (hi == 0 || count == 0)
				continue;
			size_t a = lower_bound(v, lo);
			size_t b = lower_bound(v, hi);
			if (b < count && v->uids[b] == hi)
				b++;
			if (b > count)
				b = count;
			if (a < b && add_index_range(v, a, b - 1, out) < 0)
				return -1;
		} else {
			if (count == 0)
				return -1;
			if (hi == IMAP_STAR)
				hi = (uint32_t)count;
			if (lo == IMAP_STAR)
				lo = (uint32_t)count;
			if (lo > hi) {
				uint32_t t = lo;
				lo = hi;
				hi = t;
			}
			if (hi > count)
				return -1;
			if (add_index_range(v, lo - 1, hi - 1, out) < 0)
				return -1;
		}
	}
	return 0;
}

/* Remove the UIDs of u from the view and tell the client, highest
 * sequence number first so that every number stays valid as it is sent. */
static void
expunge_now(struct imap_session *s, const struct store_uids *u)
{
	struct imap_view *v = s->view;
	bool qresync = (s->enabled & IMAP_EN_QRESYNC) != 0;
	struct store_uids told = { 0 };
	for (size_t k = v->n; k > 0; k--) {
		size_t i = k - 1;
		if (!store_uids_has(u, v->uids[i]))
			continue;
		if (i < v->announced) {
			if (qresync)
				store_uids_add(&told, v->uids[i], v->uids[i]);
			else
				imap_untagged(s, "%zu EXPUNGE", i + 1);
			v->announced--;
		}
		memmove(v->uids + i, v->uids + i + 1,
		    (v->n - i - 1) * sizeof(*v->uids));
		v->n--;
	}
	if (qresync && told.n > 0) {
		struct buf *b = imap_out_buf(s);
		buf_append_str(b, "* VANISHED ");
		imap_fmt_uids(b, &told);
		buf_append_str(b, "\r\n");
	}
	store_uids_free(&told);
}

void
imap_view_expunged(struct imap_session *s, const struct store_uids *u)
{
	expunge_now(s, u);
	s->view->store_messages = (uint32_t)(s->view->n - store_uids_count(
	    &s->view->gone));
}

struct sync {
	struct imap_session *s;
	struct imap_keywords kw;  /* the cached table until one is missing */
	struct store_uids later;  /* changed, with a keyword the table lacks */
	uint32_t known_last;      /* largest UID in the view before */
	bool failed;
};

static void
sync_line(struct sync *y, const struct store_msg *m, size_t seq)
{
	struct imap_session *s = y->s;
	struct buf *b = imap_out_buf(s);
	buf_printf(b, "* %zu FETCH (", seq);
	if (s->enabled & IMAP_EN_QRESYNC)
		buf_printf(b, "UID %u ", m->uid);
	buf_append_str(b, "FLAGS ");
	imap_fmt_flags(b, m->flags | imap_view_recent_flag(s, m->uid),
	    m->keywords, &y->kw);
	if (s->enabled & IMAP_EN_CONDSTORE)
		buf_printf(b, " MODSEQ (%llu)", (unsigned long long)m->modseq);
	buf_append_str(b, ")\r\n");
}

/* The deferred messages again, after the table was asked for anew. */
static int
sync_again_cb(void *arg, const struct store_msg *m)
{
	struct sync *y = arg;
	size_t seq = imap_view_seq(y->s->view, m->uid);
	if (seq != 0 && seq <= y->s->view->announced)
		sync_line(y, m, seq);
	return 0;
}

static int
sync_cb(void *arg, const struct store_msg *m)
{
	struct sync *y = arg;
	struct imap_session *s = y->s;
	struct imap_view *v = s->view;
	size_t seq;
	if (m->uid > y->known_last) {
		/* new message: into the map, announced by EXISTS below */
		if ((v->n == 0 || m->uid > v->uids[v->n - 1]) &&
		    push_uid(v, m->uid) < 0) {
			y->failed = true;
			return 1;
		}
		/* already announced from a notification, and changed since:
		 * its flags are news to the client */
		seq = v->n;
		if (seq > v->announced || m->modseq <= v->lazy_modseq)
			return 0;
	} else {
		seq = imap_view_seq(v, m->uid);
		if (seq == 0 || seq > v->announced)
			return 0;
	}
	/* no request inside a reply: shown after the table is asked for */
	if (store_keywords_unknown(m->keywords, y->kw.n)) {
		if (store_uids_add(&y->later, m->uid, m->uid) < 0) {
			y->failed = true;
			return 1;
		}
		return 0;
	}
	sync_line(y, m, seq);
	return 0;
}

int
imap_view_sync(struct imap_session *s, bool expunge_ok)
{
	struct imap_view *v = s->view;
	if (v == NULL)
		return 0;
	struct sync y = { .s = s, .known_last = imap_view_last_uid(v) };
	/* the table only grows: the cached copy, asked for again only when
	 * a changed message carries a keyword it lacks */
	int rc = imap_keywords_current(s, &y.kw, false);
	if (rc < 0)
		return rc;
	struct store_changes_result res = { 0 };
	rc = store_changes(s->sc, v->id, v->modseq, STORE_F_FLAGS, sync_cb, &y,
	    &res);
	/* before any EXPUNGE: the sequence numbers are still the ones above */
	if (rc == 0 && !y.failed && y.later.n > 0 &&
	    (rc = imap_keywords_current(s, &y.kw, true)) == 0)
		rc = store_fetch(s->sc, v->id, &y.later, STORE_F_FLAGS, 0,
		    sync_again_cb, &y);
	store_uids_free(&y.later);
	if (rc < 0 || y.failed) {
		store_uids_free(&res.vanished);
		return rc < 0 ? rc : STORE_E_PROTO;
	}
	v->stale = false;
	v->dirty = false;
	if (res.highestmodseq > v->modseq)
		v->modseq = res.highestmodseq;
	/* expunged in the store: tell now, or keep for a later command */
	for (size_t i = 0; i < res.vanished.n; i++)
		for (uint32_t u = res.vanished.r[i].lo;; u++) {
			if (imap_view_seq(v, u) != 0)
				store_uids_add(&v->gone, u, u);
			else if (u > y.known_last && v->n < v->announced) {
				/* announced by a notification, expunged before
				 * we loaded it: keep its place until told */
				if (insert_uid(v, u) < 0)
					y.failed = true;
				store_uids_add(&v->gone, u, u);
			}
			if (u == res.vanished.r[i].hi)
				break;
		}
	if (v->n < v->announced) {
		log_warn("view of %s lost %zu announced messages", v->name,
		    v->announced - v->n);
		v->announced = v->n;
	}
	store_uids_free(&res.vanished);
	if (expunge_ok && v->gone.n > 0) {
		expunge_now(s, &v->gone);
		store_uids_clear(&v->gone);
	}
	if (imap_view_last_uid(v) > y.known_last && (rc = take_recent(s, v)) < 0)
		return rc;
	if (v->n > v->announced) {
		imap_untagged(s, "%zu EXISTS", v->n);
		v->announced = v->n;
	}
	size_t recent = imap_view_recent_count(v);
	if (recent != v->recent_told && !(s->enabled & IMAP_EN_IMAP4REV2)) {
		imap_untagged(s, "%zu RECENT", recent);
		v->recent_told = recent;
	}
	v->store_messages = (uint32_t)(v->n - store_uids_count(&v->gone));
	uint32_t last = imap_view_last_uid(v);
	if (last >= v->uidnext)
		v->uidnext = last + 1;
	return 0;
}

bool
imap_view_notify(struct imap_session *s, const struct store_notify *n)
{
	struct imap_view *v = s->view;
	if (v == NULL || n->mailbox_id != v->id)
		return false;
	if (n->highestmodseq <= v->modseq && !v->stale)
		return false;
	/* A pure append: the count grew by exactly the number of UIDs handed
	 * out, so nothing was expunged. Announced from the notification
	 * alone, so that thousands of idlers hear of a delivery at once; the
	 * UIDs (and any flag change that came with it) follow at the next
	 * sync. Anything else needs that sync soon. */
	uint64_t grew = n->messages > v->store_messages ?
	    n->messages - v->store_messages : 0;
	v->stale = true;
	if (!v->dirty && grew > 0 && n->uidnext >= v->uidnext &&
	    n->uidnext - v->uidnext == grew && v->gone.n == 0) {
		size_t exists = v->announced + grew;
		/* by hand, not printf: this line is the whole of an idler's
		 * wake-up, and every page it touches counts at fan-out */
		struct buf *out = imap_out_buf(s);
		buf_append(out, "* ", 2);
		imap_fmt_u64(out, exists);
		buf_append(out, " EXISTS\r\n", 9);
		v->announced = exists;
		v->store_messages = n->messages;
		v->uidnext = n->uidnext;
		v->lazy_modseq = n->highestmodseq;
		return false;
	}
	v->dirty = true;
	return true;
}
