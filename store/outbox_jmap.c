/* outbox_jmap: a user's JMAP EmailSubmissions, which are their own outbox
 * entries with meta (see outbox.h, docs/jmap.md "EmailSubmission"):
 * listing them with their changes, cancelling a pending one, hiding a
 * destroyed one's record. A user session reaches its own entries only. */
#include "outbox.h"
#include "buf.h"
#include "chan.h"
#include "ipc.h"
#include "log.h"
#include "notify.h"
#include "store_proto.h"
#include "outbox_proto.h"
#include "request.h"
#include "user.h"

#include <string.h>
#include <time.h>

/* Rows per reply stop once the reply is this long: one more row (at most
 * 100 recipients of 320 bytes and their replies of 160, the reply, meta,
 * 16 DSN and 16 MDN ids: < 52 KiB) still fits in IPC_MAX_PAYLOAD. */
#define LIST_PAGE_BYTES (44 * 1024)

enum { J_STATE, J_ALL, J_SINCE, J_CANCEL, J_HIDE, J_MINE, J_USER, J_EXPIRE,
	J_NSTMT };
static sqlite3 *jdb;
static sqlite3_stmt *jst[J_NSTMT];
#define ROW "SELECT id, state, send_at, created, cmodseq, modseq, hidden," \
	" mail_from, rcpts, reply, meta, rstatus, dsn, mdn, displayed FROM outbox"
static const char *const jsql[J_NSTMT] = {
	[J_STATE] = "SELECT max(modseq) FROM outbox WHERE user=? AND meta!=x''",
	[J_ALL] = ROW " WHERE user=? AND meta!=x'' AND hidden=0 AND id>?"
	    " ORDER BY id",
	[J_SINCE] = ROW " WHERE user=? AND meta!=x'' AND modseq>? AND id>?"
	    " ORDER BY id",
	[J_CANCEL] = "UPDATE outbox SET state=4, modseq=?1, done_at=?4 WHERE"
	    " id=?2 AND user=?3 AND meta!=x'' AND state=0",
	[J_HIDE] = "UPDATE outbox SET hidden=1, modseq=? WHERE id=? AND user=?"
	    " AND meta!=x'' AND hidden=0",
	[J_MINE] = "SELECT state FROM outbox WHERE id=? AND user=? AND"
	    " meta!=x'' AND hidden=0",
	[J_USER] = "SELECT user FROM outbox WHERE id=? AND meta!=x''",
	[J_EXPIRE] = "UPDATE outbox SET hidden=1, modseq=? WHERE user=? AND"
	    " meta!=x'' AND hidden=0 AND done_at>0 AND done_at<?",
};

void
outbox_jmap_open(sqlite3 *db)
{
	jdb = db;
	for (int i = 0; i < J_NSTMT; i++)
		if (sqlite3_prepare_v3(db, jsql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &jst[i], NULL) != SQLITE_OK)
			log_fatal("outbox: prepare: %s", sqlite3_errmsg(db));
}

static sqlite3_stmt *
jstmt(int i, const char *user)
{
	sqlite3_reset(jst[i]);
	sqlite3_clear_bindings(jst[i]);
	if (user != NULL)
		sqlite3_bind_text(jst[i], 1, user, -1, SQLITE_STATIC);
	return jst[i];
}

void
outbox_notify(const char *user, struct chan *origin)
{
	bool other;
	struct user *u = user_get(user, &other);
	if (u == NULL)
		return;
	notify_user_changed(u, STORE_NOTIFY_OBJECTS, origin);
	user_maybe_free(u);
}

void
outbox_jmap_result(uint64_t id)
{
	char user[STORE_USER_MAX + 1];
	sqlite3_stmt *st = jstmt(J_USER, NULL);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	const char *name = sqlite3_step(st) == SQLITE_ROW ?
	    (const char *)sqlite3_column_text(st, 0) : NULL;
	int ok = name != NULL && buf_strlcpy(user, sizeof(user), name,
	    strlen(name)) >= 0;
	sqlite3_reset(st);
	if (ok)
		outbox_notify(user, NULL);
}

uint32_t outbox_jmap_keep_s = OUTBOX_JMAP_KEEP_DEFAULT;

void
outbox_jmap_expire(const char *user)
{
	sqlite3_stmt *st = jstmt(J_EXPIRE, NULL);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)outbox_next_modseq());
	sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL) -
	    (sqlite3_int64)outbox_jmap_keep_s);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warn("outbox: expire: %s", sqlite3_errmsg(jdb));
	sqlite3_reset(st);
}

static uint64_t
user_state(const char *user)
{
	sqlite3_stmt *st = jstmt(J_STATE, user);
	uint64_t v = 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

static void
put_row(struct buf *rb, sqlite3_stmt *st)
{
	for (int i = 0; i < 7; i++) {
		uint64_t v = (uint64_t)sqlite3_column_int64(st, i);
		if (i == 1 || i == 6)
			ipc_put_u32(rb, (uint32_t)v);
		else
			ipc_put_u64(rb, v);
	}
	const char *from = (const char *)sqlite3_column_text(st, 7);
	ipc_put_str(rb, from != NULL ? from : "");
	ipc_put_bytes(rb, sqlite3_column_blob(st, 8),
	    (size_t)sqlite3_column_bytes(st, 8));
	const char *reply = (const char *)sqlite3_column_text(st, 9);
	ipc_put_str(rb, reply != NULL ? reply : "");
	for (int i = 10; i <= 14; i++)
		ipc_put_bytes(rb, sqlite3_column_blob(st, i),
		    (size_t)sqlite3_column_bytes(st, i));
}

/* since (0: every visible entry; else those changed after it, hidden ones
 * too), after (the last id of the previous page). Reply: state, more, n,
 * n x (id, state, send_at, created, cmodseq, modseq, hidden, mail_from,
 * rcpts, reply, meta, rstatus, dsn, mdn, displayed). */
int
h_outbox_list(struct req *r)
{
	uint64_t since, after;
	ipc_get_u64(&r->c, &since);
	ipc_get_u64(&r->c, &after);
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if (r->ch->user == NULL)
		return req_fail(r, IPC_ERR_UNEXPECTED, "not a user session");
	static struct buf rows = BUF_INIT(IPC_MAX_PAYLOAD);
	buf_reset(&rows);
	const char *user = r->ch->user->name;
	sqlite3_stmt *st = jstmt(since == 0 ? J_ALL : J_SINCE, user);
	int k = 2;
	if (since != 0)
		sqlite3_bind_int64(st, k++, (sqlite3_int64)since);
	sqlite3_bind_int64(st, k, (sqlite3_int64)after);
	uint32_t n = 0, more = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows.len > LIST_PAGE_BYTES) {
			more = 1;
			break;
		}
		put_row(&rows, st);
		n++;
	}
	sqlite3_reset(st);
	if ((rc != SQLITE_ROW && rc != SQLITE_DONE) || rows.failed)
		return req_fail(r, IPC_ERR_INTERNAL, "outbox: list");
	ipc_put_u64(r->rb, user_state(user));
	ipc_put_u32(r->rb, more);
	ipc_put_u32(r->rb, n);
	if (buf_append(r->rb, rows.data, rows.len) < 0)
		return req_fail(r, IPC_ERR_INTERNAL, "out of memory");
	return 0;
}

/* id, op (enum store_outbox_op). Reply: the user's new state. */
int
h_outbox_change(struct req *r)
{
	uint64_t id;
	uint32_t op;
	ipc_get_u64(&r->c, &id);
	ipc_get_u32(&r->c, &op);
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if (r->ch->user == NULL)
		return req_fail(r, IPC_ERR_UNEXPECTED, "not a user session");
	if (op != STORE_OUTBOX_CANCEL && op != STORE_OUTBOX_HIDE)
		return req_fail(r, IPC_ERR_MALFORMED, "bad operation");
	const char *user = r->ch->user->name;
	sqlite3_stmt *st = jstmt(J_MINE, NULL);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return req_fail(r, IPC_ERR_NOTFOUND, "no such submission");
	/* one statement: a claim (state 1) between the check and the
	 * update leaves the update without a row, never a sent cancel */
	st = jstmt(op == STORE_OUTBOX_CANCEL ? J_CANCEL : J_HIDE, NULL);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)outbox_next_modseq());
	sqlite3_bind_int64(st, 2, (sqlite3_int64)id);
	sqlite3_bind_text(st, 3, user, -1, SQLITE_STATIC);
	if (op == STORE_OUTBOX_CANCEL)
		sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return req_fail(r, IPC_ERR_INTERNAL, "outbox: %s",
		    sqlite3_errmsg(jdb));
	if (sqlite3_changes(jdb) == 0)
		return req_fail(r, IPC_ERR_CONFLICT, "already being sent or done");
	if (op == STORE_OUTBOX_CANCEL) {
		outbox_remove_file(id);
		log_info("outbox: %llu canceled by %s", (unsigned long long)id,
		    user);
	}
	ipc_put_u64(r->rb, user_state(user));
	outbox_notify(user, r->ch);
	return 0;
}
