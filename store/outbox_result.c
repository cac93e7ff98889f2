/* outbox_result: the end of a send (see outbox_int.h, docs/submitd.md
 * "What a crash may repeat"). Before it writes the final dot submitd marks
 * its claimed entry committing (STORE_OUTBOX_COMMIT), durably: from then
 * on the relay may have the message, so the entry is never handed out
 * again. Its result (STORE_OUTBOX_RESULT) ends it; if submitd's channel
 * closes first, or a stored start finds it still committing, it is final
 * with delivery unknown. A result submitd held over a stored restart is
 * taken on its fresh channel for an entry committing or unknown that no
 * channel claims. */
#include "outbox.h"
#include "outbox_int.h"
#include "chan.h"
#include "ipc.h"
#include "log.h"
#include "outbox_proto.h"
#include "outbox_status.h"
#include "request.h"
#include "store_proto.h"

#include <string.h>
#include <time.h>

#define STORE_OUTBOX_RETRY_OUTCOME 2   /* enum store_outbox_outcome */
#define LOST_REPLY "may or may not have been sent: submitd ended after the" \
	" end of data"

enum { R_MARK, R_STATE, R_LOST, R_ORPHANS, R_NSTMT };
static sqlite3 *rdb;
static sqlite3_stmt *rst[R_NSTMT];
static const char *const rsql[R_NSTMT] = {
	/* a change of its own: JMAP's undoStatus turns final here */
	[R_MARK] = "UPDATE outbox SET state=6, modseq=? WHERE id=? AND state=1",
	[R_STATE] = "SELECT state FROM outbox WHERE id=?",
	/* an earlier try's per-recipient replies say nothing of this one:
	 * the entry's reply stands for every recipient */
	[R_LOST] = ("UPDATE outbox SET state=5, reply=?, modseq=?, done_at=?,"
	    " rstatus=x'', attempts=attempts+1 WHERE id=? AND state=6"),
	[R_ORPHANS] = "SELECT id FROM outbox WHERE state=6 ORDER BY id LIMIT 1",
};
static bool orphans_done;

void
outbox_result_open(sqlite3 *db)
{
	rdb = db;
	orphans_done = false;
	for (int i = 0; i < R_NSTMT; i++)
		if (sqlite3_prepare_v3(db, rsql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &rst[i], NULL) != SQLITE_OK)
			log_fatal("outbox: prepare: %s", sqlite3_errmsg(db));
}

static sqlite3_stmt *
rstmt(int i)
{
	sqlite3_reset(rst[i]);
	sqlite3_clear_bindings(rst[i]);
	return rst[i];
}

/* Run statement st to its end: the rows it changed, or -1. */
static int
run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return sqlite3_changes(rdb);
	log_err("outbox: %s", sqlite3_errmsg(rdb));
	return -1;
}

/* An entry's state, or -1 if there is none. */
static int
state_of_entry(uint64_t id)
{
	sqlite3_stmt *st = rstmt(R_STATE);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	int s = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_reset(st);
	return s;
}

void
outbox_commit_lost(uint64_t id, const struct chan *ch)
{
	sqlite3_stmt *st = rstmt(R_LOST);
	sqlite3_bind_text(st, 1, LOST_REPLY, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)outbox_next_modseq());
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 4, (sqlite3_int64)id);
	if (run(st) <= 0)
		return;
	log_warn("outbox: %llu may or may not have been sent (%s%s ended after"
	    " the end of data): final, delivery unknown, not sent again",
	    (unsigned long long)id, ch != NULL ? ch->service : "submitd",
	    ch != NULL ? "" : " or stored");
	outbox_remove_file(id);
	outbox_jmap_result(id);
}

void
outbox_commit_orphans(void)
{
	if (orphans_done)
		return;
	orphans_done = true;
	/* each one made final leaves the query: bounded by the table */
	for (;;) {
		sqlite3_stmt *st = rstmt(R_ORPHANS);
		int rc = sqlite3_step(st);
		uint64_t id = rc == SQLITE_ROW ?
		    (uint64_t)sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		if (id == 0 || outbox_claimed(NULL, id))
			return;
		outbox_commit_lost(id, NULL);
		if (state_of_entry(id) == OUTBOX_COMMITTING)
			return;    /* not changed: never loop on it */
	}
}

/* id. The claimed entry is committing: its final dot may be written. */
int
h_outbox_commit(struct req *r)
{
	uint64_t id = 0;
	ipc_get_u64(&r->c, &id);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = outbox_submit_channel(r)) < 0)
		return rc;
	if (id == 0 || !outbox_claimed(r->ch, id))
		return req_fail(r, IPC_ERR_CONFLICT, "outbox entry %llu is not"
		    " claimed by this channel", (unsigned long long)id);
	sqlite3_stmt *st = rstmt(R_MARK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)outbox_next_modseq());
	sqlite3_bind_int64(st, 2, (sqlite3_int64)id);
	rc = run(st);
	if (rc < 0)
		return req_fail(r, IPC_ERR_INTERNAL, "outbox: commit");
	if (rc == 0)
		return req_fail(r, IPC_ERR_CONFLICT, "outbox entry %llu is not"
		    " being sent", (unsigned long long)id);
	outbox_jmap_result(id);
	return 0;
}

/* Whether r's channel may report entry id: its claim, or a result held
 * over a stored restart (committing or unknown, and no one's claim). */
static bool
may_report(struct req *r, uint64_t id, uint32_t outcome)
{
	if (outbox_claimed(r->ch, id))
		return true;
	int s = state_of_entry(id);
	/* an unknown entry's file is gone: it cannot be tried again */
	return !outbox_claimed(NULL, id) && (s == OUTBOX_COMMITTING ||
	    (s == OUTBOX_UNKNOWN && outcome != STORE_OUTBOX_RETRY_OUTCOME));
}

/* id, outcome, retry_at, reply, u32 n, n x the reply to each recipient
 * ("": as the entry's; n 0 or the entry's recipient count). */
int
h_outbox_result(struct req *r)
{
	static struct outbox_rcpt_replies rr;
	static struct buf rstatus = BUF_INIT(OUTBOX_RSTATUS_MAX);
	uint64_t id = 0, retry_at = 0;
	uint32_t outcome = 0;
	const char *reply = "";
	size_t rlen = 0;
	ipc_get_u64(&r->c, &id);
	ipc_get_u32(&r->c, &outcome);
	ipc_get_u64(&r->c, &retry_at);
	ipc_get_strp(&r->c, &reply, &rlen, STORE_OUTBOX_REPLY_MAX);
	if (outbox_status_get(&r->c, &rr) < 0)
		return req_fail(r, IPC_ERR_MALFORMED, "per-recipient replies");
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = outbox_submit_channel(r)) < 0)
		return rc;
	if (id == 0 || !may_report(r, id, outcome))
		return req_fail(r, IPC_ERR_CONFLICT, "outbox entry %llu is not"
		    " claimed by this channel", (unsigned long long)id);
	static const uint32_t state_of[] = { [1] = OUTBOX_SENT,
		[2] = OUTBOX_PENDING, [3] = OUTBOX_FAILED, [4] = OUTBOX_UNKNOWN };
	static const char *const said[] = { [1] = "sent", [2] = "deferred",
		[3] = "failed", [4] = "may or may not have been sent" };
	if (outcome < 1 || outcome > 4 || retry_at > INT64_MAX)
		return req_fail(r, IPC_ERR_MALFORMED, "bad outcome");
	if (outbox_status_build(id, &rr, &rstatus) < 0)
		return req_fail(r, IPC_ERR_MALFORMED, "not one reply per recipient");
	if (outbox_resolve(id, state_of[outcome], retry_at, reply, rlen,
	    &rstatus) < 0)
		return req_fail(r, IPC_ERR_INTERNAL, "outbox: result");
	outbox_claim_drop(id);
	if (state_of[outcome] != OUTBOX_PENDING)
		outbox_remove_file(id);
	log_info("outbox: %llu %s: %.*s", (unsigned long long)id, said[outcome],
	    (int)rlen, reply);
	outbox_jmap_result(id);
	return 0;
}
