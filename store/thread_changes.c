/*
 * thread_changes: JMAP Thread/changes and what Email/queryChanges with
 * collapseThreads needs (handlers listed in handlers.h).
 *
 * A thread changes when its list of emails does: an email that did not
 * exist at the state exists now, or one that did is gone (email_tomb
 * keeps the thread of a gone email). An email existed at the state when a
 * copy made by then is still here or was expunged since (the tombstone
 * keeps when the copy was made). Keyword changes, copies and moves leave
 * threads alone. An expunge since the state from before this store kept
 * those records leaves a thread unknown: CONFLICT, the client starts
 * over.
 */
#include "request.h"
#include "changes.h"
#include "db.h"
#include "handlers.h"
#include "ipc.h"

#include <stdlib.h>

/* Is there an expunge after since whose email's thread nobody knows? */
static int
unknown_gone(struct req *r, uint64_t since)
{
	sqlite3_stmt *st = db_stmt(r->d, ST_THREAD_UNKNOWN_GONE,
	    "SELECT 1 FROM tomb t WHERE t.modseq>?1 AND (t.created_modseq IS"
	    " NULL OR (NOT EXISTS(SELECT 1 FROM blob b WHERE"
	    " b.emailid=t.emailid) AND NOT EXISTS(SELECT 1 FROM email_tomb e"
	    " WHERE e.emailid=t.emailid))) LIMIT 1");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return req_fail(r, IPC_ERR_CONFLICT, "an email gone since then "
		    "has no recorded thread");
	return rc == SQLITE_DONE ? 0 : db_fail(r->d, "unknown threads");
}

/* Every row of st (bound to since as ?1): column 0 a thread, column 1 (if
 * any) the modseq of the event, into ev. */
static int
collect(struct req *r, sqlite3_stmt *st, uint64_t since, struct changes *ev)
{
	int rc;
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (ch_add(ev, (uint64_t)sqlite3_column_int64(st, 0),
		    sqlite3_column_count(st) > 1 ?
		    (uint64_t)sqlite3_column_int64(st, 1) : 0, 0) < 0)
			break;
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(r->d, "threads since");
}

static int
cmp_thread(const void *a, const void *b)
{
	const struct change *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->modseq < y->modseq ? -1 : x->modseq > y->modseq;
}

/* Sort ev by thread and keep one entry each, with its last modseq. */
static void
unique_threads(struct changes *ev)
{
	size_t n = 0;
	if (ev->n > 1)
		qsort(ev->v, ev->n, sizeof(ev->v[0]), cmp_thread);
	for (size_t i = 0; i < ev->n; i++) {
		if (n > 0 && ev->v[n - 1].id == ev->v[i].id)
			ev->v[n - 1] = ev->v[i];
		else
			ev->v[n++] = ev->v[i];
	}
	ev->n = n;
}

/* 1 if the statement (thread ?1, since ?2) has a row, 0 if not. */
static int
exists(struct req *r, sqlite3_stmt *st, uint64_t thread, uint64_t since)
{
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)thread);
	if (sqlite3_bind_parameter_count(st) > 1)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)since);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 :
	    db_fail(r->d, "thread lookup");
}

/* created: no email of it existed at since; destroyed: none left. */
static int
thread_kind(struct req *r, uint64_t thread, uint64_t since)
{
	int live = exists(r, db_stmt(r->d, ST_THREAD_LIVE,
	    "SELECT 1 FROM blob WHERE thread=?1 LIMIT 1"), thread, since);
	if (live <= 0)
		return live < 0 ? live : CH_DESTROYED;
	int old = exists(r, db_stmt(r->d, ST_THREAD_EXISTED,
	    "SELECT 1 FROM blob b JOIN msgs m ON m.blob=b.id WHERE"
	    " b.thread=?1 AND m.created_modseq<=?2"
	    " UNION ALL SELECT 1 FROM blob b JOIN tomb t ON t.emailid=b.emailid"
	    " WHERE b.thread=?1 AND t.modseq>?2 AND t.created_modseq<=?2"
	    " UNION ALL SELECT 1 FROM email_tomb e JOIN tomb t ON"
	    " t.emailid=e.emailid WHERE e.thread=?1 AND t.modseq>?2 AND"
	    " t.created_modseq<=?2 LIMIT 1"), thread, since);
	return old < 0 ? old : old ? CH_UPDATED : CH_CREATED;
}

int
h_thread_changes(struct req *r)
{
	uint64_t since;
	uint32_t max;
	struct changes ev = { 0 }, out = { 0 };
	int rc = since_args(r, &since, &max);
	if (rc < 0 || (rc = unknown_gone(r, since)) < 0)
		return rc;
	/* emails here now that did not exist at since, and emails gone
	 * that did */
	if ((rc = collect(r, db_stmt(r->d, ST_THREAD_NEW_EMAILS,
	    "SELECT b.thread, min(m.created_modseq) FROM blob b JOIN msgs m"
	    " ON m.blob=b.id WHERE b.id IN (SELECT blob FROM msgs WHERE"
	    " modseq>?1 AND created_modseq>?1) GROUP BY b.id"
	    " HAVING min(m.created_modseq)>?1 AND NOT EXISTS(SELECT 1 FROM"
	    " tomb t WHERE t.emailid=b.emailid AND t.modseq>?1 AND"
	    " t.created_modseq<=?1)"), since, &ev)) == 0)
		rc = collect(r, db_stmt(r->d, ST_THREAD_GONE_EMAILS,
		    "SELECT e.thread, e.modseq FROM email_tomb e WHERE"
		    " e.modseq>?1 AND NOT EXISTS(SELECT 1 FROM blob b WHERE"
		    " b.emailid=e.emailid) AND EXISTS(SELECT 1 FROM tomb t WHERE"
		    " t.emailid=e.emailid AND t.modseq>?1 AND"
		    " t.created_modseq<=?1)"), since, &ev);
	unique_threads(&ev);
	for (size_t i = 0; rc == 0 && i < ev.n; i++) {
		int kind = thread_kind(r, ev.v[i].id, since);
		rc = kind < 0 ? kind : ch_add(&out, ev.v[i].id, ev.v[i].modseq,
		    (uint32_t)kind) < 0 ? req_fail(r, IPC_ERR_INTERNAL,
		    "out of memory") : 0;
	}
	if (rc == 0)
		rc = send_changes(r, &out, max);
	free(ev.v);
	free(out.v);
	return rc;
}

int
h_thread_peers(struct req *r)
{
	uint64_t since;
	struct changes ev = { 0 };
	ipc_get_u64(&r->c, &since);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	if (since > r->d->modseq)
		return req_fail(r, IPC_ERR_CONFLICT, "state from the future");
	if ((rc = unknown_gone(r, since)) < 0)
		return rc;
	/* the threads of every email changed since: a copy changed, a copy
	 * expunged, or the email gone */
	rc = collect(r, db_stmt(r->d, ST_THREAD_OF_CHANGED,
	    "SELECT b.thread FROM msgs m JOIN blob b ON b.id=m.blob"
	    " WHERE m.modseq>?1"), since, &ev);
	if (rc == 0)
		rc = collect(r, db_stmt(r->d, ST_THREAD_OF_TOMB,
		    "SELECT b.thread FROM tomb t JOIN blob b ON"
		    " b.emailid=t.emailid WHERE t.modseq>?1"), since, &ev);
	if (rc == 0)
		rc = collect(r, db_stmt(r->d, ST_THREAD_OF_GONE,
		    "SELECT thread FROM email_tomb WHERE modseq>?1"), since,
		    &ev);
	unique_threads(&ev);
	if (rc == 0)
		req_reply_stream(r);
	for (size_t i = 0; rc == 0 && i < ev.n; i++) {
		sqlite3_stmt *st = db_stmt(r->d, ST_THREAD_EMAILS,
		    "SELECT DISTINCT emailid FROM blob WHERE thread=?");
		if (st == NULL) {
			rc = db_fail(r->d, "prepare");
			break;
		}
		sqlite3_bind_int64(st, 1, (sqlite3_int64)ev.v[i].id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			req_item(r);
			ipc_put_u64(r->rb, (uint64_t)sqlite3_column_int64(st, 0));
		}
		sqlite3_reset(st);
		rc = rc == SQLITE_DONE ? 0 : db_fail(r->d, "thread emails");
	}
	if (rc == 0)
		req_end(r);
	free(ev.v);
	return rc;
}
