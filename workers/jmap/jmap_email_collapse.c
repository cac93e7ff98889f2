/*
 * jmap_email_collapse: Email/query's collapseThreads: of the emails of
 * one thread only the first in the sort stays. The store's search lists
 * email ids only, so the thread of each comes from the message metadata:
 * one fetch of the mailbox the filter names, or of every mailbox.
 */
#include "jmap_email_collapse.h"
#include "jmap_getset.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct pair {
	uint64_t email, thread;
};

struct pairs {
	struct pair *v;
	size_t n, cap;
};

static int
add_pair(void *arg, const struct store_msg *m)
{
	struct pairs *p = arg;
	if (!jmap_grow(&p->v, &p->cap, p->n, sizeof(p->v[0])))
		return -1;
	p->v[p->n++] = (struct pair){ m->emailid, m->threadid };
	return 0;
}

struct mbox_ids {
	uint64_t *v;
	size_t n, cap;
};

static int
add_mbox(void *arg, const struct store_mbox_info *mb)
{
	struct mbox_ids *l = arg;
	if (mb->st.id == 0 || (mb->st.attrs & (STORE_MBOX_NONEXISTENT |
	    STORE_MBOX_NOSELECT)))
		return 0;
	if (!jmap_grow(&l->v, &l->cap, l->n, sizeof(l->v[0])))
		return -1;
	l->v[l->n++] = mb->st.id;
	return 0;
}

static int
cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	return x->email < y->email ? -1 : x->email > y->email;
}

/* email -> thread for the messages of mbox (0: every mailbox). */
static int
load_pairs(struct store_conn *sc, uint64_t mbox, struct pairs *p)
{
	struct mbox_ids l = { 0 };
	int rc = STORE_OK;
	if (mbox != 0)
		rc = add_mbox(&l, &(struct store_mbox_info){ .st.id = mbox });
	else
		rc = store_mbox_list(sc, 0, add_mbox, &l);
	for (size_t i = 0; rc == STORE_OK && i < l.n; i++)
		rc = store_fetch(sc, l.v[i], &store_uids_all, STORE_F_IDS, 0,
		    add_pair, p);
	free(l.v);
	if (rc == STORE_OK && p->n > 0)
		qsort(p->v, p->n, sizeof(p->v[0]), cmp_pair);
	return rc < 0 ? rc : STORE_OK;
}

/* (thread, position) of each result: sorted, the first of each thread
 * is the one kept. */
static int
cmp_thread_pos(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	if (x->email != y->email)
		return x->email < y->email ? -1 : 1;
	return x->thread < y->thread ? -1 : x->thread > y->thread;
}

int
jmap_collapse_threads(struct store_conn *sc, uint64_t mbox,
    struct store_search_result *r)
{
	struct pairs p = { 0 };
	struct pair *tp = calloc(r->nemail + 1, sizeof(*tp));
	bool *keep = calloc(r->nemail + 1, sizeof(*keep));
	int rc = tp == NULL || keep == NULL ? STORE_E_INTERNAL :
	    load_pairs(sc, mbox, &p);
	for (size_t i = 0; rc == STORE_OK && i < r->nemail; i++) {
		struct pair key = { r->emailids[i], 0 };
		struct pair *hit = p.n == 0 ? NULL : bsearch(&key, p.v, p.n,
		    sizeof(p.v[0]), cmp_pair);
		/* reused: .email holds the thread, .thread the position; an
		 * email without a known thread is a thread of its own */
		tp[i] = (struct pair){ hit ? hit->thread : UINT64_MAX - i, i };
	}
	if (rc == STORE_OK) {
		qsort(tp, r->nemail, sizeof(*tp), cmp_thread_pos);
		for (size_t i = 0; i < r->nemail; i++)
			if (i == 0 || tp[i].email != tp[i - 1].email)
				keep[tp[i].thread] = true;
		size_t out = 0;
		for (size_t i = 0; i < r->nemail; i++)
			if (keep[i])
				r->emailids[out++] = r->emailids[i];
		r->nemail = out;
	}
	free(tp);
	free(keep);
	free(p.v);
	return rc;
}
