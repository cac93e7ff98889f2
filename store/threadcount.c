/* threadcount: every mailbox's thread counts (JMAP Mailbox totalThreads,
 * unreadThreads) in one query, so that Mailbox/get costs one round trip
 * however many mailboxes and messages there are.
 *
 * unreadThreads follows RFC 8621 section 2: a thread counts in mailbox M
 * when it has a message in M and some message of the thread, in any
 * mailbox, has neither \Seen nor \Draft; except that unread messages in
 * the trash count only for the trash, and only those count for it.
 *
 * Clients ask for them on every Mailbox/get; the answer is kept per user
 * until the user's modseq moves (every change to messages, flags or
 * mailboxes takes a new one) or a rollback may reuse a modseq. */
#include "request.h"
#include "db.h"
#include "handlers.h"
#include "ipc.h"

#include <stdlib.h>

#define SQL_THREAD_COUNTS \
	"WITH u AS (SELECT b.thread AS thread," \
	" MAX((x.use & ?1) = 0) AS outside, MAX((x.use & ?1) <> 0) AS inside" \
	" FROM msgs m JOIN blob b ON b.id=m.blob JOIN mailboxes x" \
	" ON x.id=m.mailbox WHERE (m.flags & ?2) = 0 GROUP BY b.thread)" \
	" SELECT m.mailbox, COUNT(DISTINCT b.thread), COUNT(DISTINCT CASE" \
	" WHEN ((x.use & ?1) <> 0 AND u.inside) OR" \
	" ((x.use & ?1) = 0 AND u.outside) THEN b.thread END)" \
	" FROM msgs m JOIN blob b ON b.id=m.blob JOIN mailboxes x" \
	" ON x.id=m.mailbox LEFT JOIN u ON u.thread=b.thread" \
	" GROUP BY m.mailbox"

struct tc_row {
	uint64_t mailbox;
	uint32_t threads, unread;
};

struct thread_count_cache {
	uint64_t modseq, undo_gen;
	size_t n, cap;
	struct tc_row v[];
};

static int
tc_add(struct thread_count_cache **cp, const struct tc_row *row)
{
	struct thread_count_cache *c = *cp;
	if (c->n == c->cap) {
		size_t ncap = c->cap * 2;
		c = realloc(c, sizeof(*c) + ncap * sizeof(c->v[0]));
		if (c == NULL)
			return -1;
		c->cap = ncap;
		*cp = c;
	}
	c->v[c->n++] = *row;
	return 0;
}

/* The counts as of now, in a new cache entry (NULL: failed, logged). */
static struct thread_count_cache *
tc_compute(struct udb *d)
{
	sqlite3_stmt *st = db_stmt(d, ST_THREAD_COUNTS, SQL_THREAD_COUNTS);
	struct thread_count_cache *c = malloc(sizeof(*c) + 16 * sizeof(c->v[0]));
	if (st == NULL || c == NULL) {
		free(c);
		return NULL;
	}
	*c = (struct thread_count_cache){ d->modseq, d->undo_gen, 0, 16 };
	sqlite3_bind_int64(st, 1, STORE_USE_TRASH);
	sqlite3_bind_int64(st, 2, STORE_FLAG_SEEN | STORE_FLAG_DRAFT);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tc_row row = { (uint64_t)sqlite3_column_int64(st, 0),
		    (uint32_t)sqlite3_column_int64(st, 1),
		    (uint32_t)sqlite3_column_int64(st, 2) };
		if (tc_add(&c, &row) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(c);
		return NULL;
	}
	return c;
}

int
h_thread_counts(struct req *r)
{
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	struct udb *d = r->d;
	struct thread_count_cache *c = d->tcc;
	if (c == NULL || c->modseq != d->modseq ||
	    c->undo_gen != d->undo_gen) {
		free(d->tcc);
		if ((d->tcc = c = tc_compute(d)) == NULL)
			return db_fail(d, "thread counts");
	}
	req_reply_stream(r);
	for (size_t i = 0; i < c->n; i++) {
		req_item(r);
		ipc_put_u64(r->rb, c->v[i].mailbox);
		ipc_put_u32(r->rb, c->v[i].threads);
		ipc_put_u32(r->rb, c->v[i].unread);
	}
	req_end(r);
	return 0;
}
