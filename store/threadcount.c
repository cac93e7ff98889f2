/* threadcount: every mailbox's thread counts (JMAP Mailbox totalThreads,
 * unreadThreads) in one query, so that Mailbox/get costs one round trip
 * however many mailboxes and messages there are.
 *
 * unreadThreads follows RFC 8621 section 2: a thread counts in mailbox M
 * when it has a message in M and some message of the thread, in any
 * mailbox, has neither \Seen nor \Draft; except that unread messages in
 * the trash count only for the trash, and only those count for it. */
#include "request.h"
#include "db.h"
#include "handlers.h"
#include "ipc.h"

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

int
h_thread_counts(struct req *r)
{
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	sqlite3_stmt *st = db_stmt(r->d, ST_THREAD_COUNTS, SQL_THREAD_COUNTS);
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, STORE_USE_TRASH);
	sqlite3_bind_int64(st, 2, STORE_FLAG_SEEN | STORE_FLAG_DRAFT);
	req_reply_stream(r);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		req_item(r);
		ipc_put_u64(r->rb, (uint64_t)sqlite3_column_int64(st, 0));
		ipc_put_u32(r->rb, (uint32_t)sqlite3_column_int64(st, 1));
		ipc_put_u32(r->rb, (uint32_t)sqlite3_column_int64(st, 2));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(r->d, "thread counts");
	req_end(r);
	return 0;
}
