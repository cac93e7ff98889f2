/* jmap: the user's state counter, "changes since a state" for mailboxes
 * and emails, blobs by id, threads (handlers listed in handlers.h).
 *
 * The state is the user's modseq: every change takes the next value, so
 * changes since S are the rows (and tombstones) whose modseq is above S.
 * With a limit, changes are cut between modseq values, never inside one,
 * so that the new state names a point every change before it belongs to. */
#include "request.h"
#include "db.h"
#include "blob.h"
#include "changes.h"
#include "handlers.h"
#include "ipc.h"
#include "mailbox.h"
#include "msgfile.h"
#include "user.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
ch_add(struct changes *c, uint64_t id, uint64_t modseq, uint32_t kind)
{
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 256;
		struct change *nv = realloc(c->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		c->v = nv;
		c->cap = ncap;
	}
	c->v[c->n++] = (struct change){ id, modseq, kind };
	return 0;
}

static int
cmp_modseq(const void *a, const void *b)
{
	const struct change *x = a, *y = b;
	if (x->modseq != y->modseq)
		return x->modseq < y->modseq ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

int
send_changes(struct req *r, struct changes *c, uint32_t max)
{
	if (c->n > 1)   /* no changes: no array at all */
		qsort(c->v, c->n, sizeof(c->v[0]), cmp_modseq);
	size_t end = c->n;
	uint64_t newstate = r->d->modseq;
	bool more = false;
	if (max != 0 && c->n > max) {
		end = max;
		/* back up to a modseq boundary, unless one group is all */
		while (end > 0 && c->v[end].modseq == c->v[end - 1].modseq)
			end--;
		if (end == 0) {
			end = 1;
			while (end < c->n && c->v[end].modseq == c->v[0].modseq)
				end++;
		}
		if (end < c->n) {
			more = true;
			newstate = c->v[end - 1].modseq;
		}
	}
	req_reply_stream(r);
	for (size_t i = 0; i < end; i++) {
		req_item(r);
		ipc_put_u32(r->rb, c->v[i].kind);
		ipc_put_u64(r->rb, c->v[i].id);
	}
	req_end(r);
	ipc_put_u64(r->rb, newstate);
	ipc_put_u32(r->rb, more ? 1 : 0);
	return 0;
}

int
h_state(struct req *r)
{
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	ipc_put_u64(r->rb, r->d->modseq);
	return 0;
}

int
since_args(struct req *r, uint64_t *since, uint32_t *max)
{
	ipc_get_u64(&r->c, since);
	ipc_get_u32(&r->c, max);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	if (*since > r->d->modseq)
		return req_fail(r, IPC_ERR_CONFLICT, "state from the future");
	return 0;
}

int
h_mbox_changes(struct req *r)
{
	uint64_t since;
	uint32_t max;
	struct changes c = { 0 };
	int rc = since_args(r, &since, &max);
	if (rc < 0)
		return rc;
	sqlite3_stmt *st = db_stmt(r->d, ST_MBOX_CHANGED_SINCE,
	    "SELECT id, modseq, created_modseq FROM mailboxes WHERE modseq>?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t created = (uint64_t)sqlite3_column_int64(st, 2);
		if (ch_add(&c, (uint64_t)sqlite3_column_int64(st, 0),
		    (uint64_t)sqlite3_column_int64(st, 1),
		    created > since ? CH_CREATED : CH_UPDATED) < 0)
			break;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		st = db_stmt(r->d, ST_MBOX_TOMB_SINCE,
		    "SELECT id, modseq FROM mailbox_tomb WHERE modseq>?");
		if (st == NULL)
			rc = -1;
		else
			sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
		while (st != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW)
			if (ch_add(&c, (uint64_t)sqlite3_column_int64(st, 0),
			    (uint64_t)sqlite3_column_int64(st, 1), CH_DESTROYED) < 0)
				break;
		if (st != NULL)
			sqlite3_reset(st);
	}
	rc = rc == SQLITE_DONE ? send_changes(r, &c, max) :
	    db_fail(r->d, "mailbox changes");
	free(c.v);
	return rc;
}

static int
email_exists(struct udb *d, int64_t emailid)
{
	sqlite3_stmt *st = db_stmt(d, ST_BLOB_BY_EMAILID,
	    "SELECT 1 FROM blob WHERE emailid=?");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, emailid);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
h_email_changes(struct req *r)
{
	uint64_t since;
	uint32_t max;
	struct changes c = { 0 };
	int rc = since_args(r, &since, &max);
	if (rc < 0)
		return rc;
	/* an email (content) is created when it did not exist at since (no
	 * copy made by then is still here or was expunged since: a copied or
	 * moved email is updated), updated when any copy changed, destroyed
	 * when its last copy is gone */
	sqlite3_stmt *st = db_stmt(r->d, ST_MSG_EMAIL_CHANGED,
	    "SELECT b.emailid, max(m.modseq), NOT EXISTS(SELECT 1 FROM blob b2"
	    " JOIN msgs m2 ON m2.blob=b2.id WHERE b2.emailid=b.emailid AND"
	    " m2.created_modseq<=?1) AND NOT EXISTS(SELECT 1 FROM tomb t WHERE"
	    " t.emailid=b.emailid AND t.modseq>?1 AND t.created_modseq<=?1)"
	    " FROM msgs m JOIN blob b ON b.id=m.blob WHERE m.modseq>?1"
	    " GROUP BY b.emailid");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (ch_add(&c, (uint64_t)sqlite3_column_int64(st, 0),
		    (uint64_t)sqlite3_column_int64(st, 1),
		    sqlite3_column_int(st, 2) ? CH_CREATED : CH_UPDATED) < 0)
			break;
	sqlite3_reset(st);
	size_t nlive = c.n;
	if (rc == SQLITE_DONE) {
		st = db_stmt(r->d, ST_TOMB_EMAIL_SINCE,
		    "SELECT emailid, max(modseq) FROM tomb WHERE modseq>?"
		    " GROUP BY emailid");
		if (st == NULL)
			rc = -1;
		else
			sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
		while (st != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t e = sqlite3_column_int64(st, 0);
			uint64_t ms = (uint64_t)sqlite3_column_int64(st, 1);
			bool listed = false;
			for (size_t i = 0; i < nlive && !listed; i++)
				if (c.v[i].id == (uint64_t)e) {
					listed = true;
					if (ms > c.v[i].modseq)
						c.v[i].modseq = ms;
				}
			if (listed)
				continue;
			int ex = email_exists(r->d, e);
			if (ex < 0 || ch_add(&c, (uint64_t)e, ms,
			    ex ? CH_UPDATED : CH_DESTROYED) < 0)
				break;
		}
		if (st != NULL)
			sqlite3_reset(st);
	}
	rc = rc == SQLITE_DONE ? send_changes(r, &c, max) :
	    db_fail(r->d, "email changes");
	free(c.v);
	return rc;
}

int
h_blob_get(struct req *r)
{
	const uint8_t *id;
	size_t n;
	ipc_get_bytes(&r->c, &id, &n, MSGFILE_HASH_LEN);
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if (n != MSGFILE_HASH_LEN)
		return req_fail(r, IPC_ERR_MALFORMED, "a blob id is 32 bytes");
	if ((rc = req_db(r)) < 0)
		return rc;
	/* only blobs of this user's messages or unexpired uploads: a content
	 * hash is not a capability to another user's mail */
	if ((rc = blob_of_user(r->d, id)) < 0)
		return rc;
	if (rc == 0)
		return req_fail(r, IPC_ERR_NOTFOUND, "no such blob");
	int fd = msgfile_open(r->d->u->id, id);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0) {
		if (fd >= 0)
			close(fd);
		return req_fail(r, IPC_ERR_INTERNAL, "message file missing");
	}
	r->rfd = fd;
	ipc_put_u64(r->rb, (uint64_t)sb.st_size);
	return 0;
}

/* One stream entry: emailid, mailbox, uid (the row's three columns). */
static void
put_location(struct req *r, sqlite3_stmt *st)
{
	req_item(r);
	ipc_put_u64(r->rb, (uint64_t)sqlite3_column_int64(st, 0));
	ipc_put_u64(r->rb, (uint64_t)sqlite3_column_int64(st, 1));
	ipc_put_u32(r->rb, (uint32_t)sqlite3_column_int64(st, 2));
}

static int
locations(struct req *r, enum db_stmt slot, const char *sql)
{
	uint64_t id;
	ipc_get_u64(&r->c, &id);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	sqlite3_stmt *st = db_stmt(r->d, slot, sql);
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	req_reply_stream(r);
	unsigned n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		put_location(r, st);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(r->d, "locations");
	if (n == 0)
		return req_fail(r, IPC_ERR_NOTFOUND, "not found");
	req_end(r);
	return 0;
}

int
h_thread_get(struct req *r)
{
	return locations(r, ST_MSG_BY_THREAD,
	    "SELECT b.emailid, m.mailbox, m.uid FROM blob b JOIN msgs m"
	    " ON m.blob=b.id WHERE b.thread=? ORDER BY m.internaldate, m.uid");
}

/* An email's copies (one statement slot: both requests below use it). */
#define LOCATE_SQL "SELECT b.emailid, m.mailbox, m.uid FROM blob b JOIN msgs m" \
	" ON m.blob=b.id WHERE b.emailid=? ORDER BY m.mailbox, m.uid"

int
h_email_locate(struct req *r)
{
	return locations(r, ST_MSG_BY_BLOB, LOCATE_SQL);
}

/* Where many emails are, in one request (JMAP Email/set): ids the user
 * has no copy of are simply absent from the answer. */
int
h_email_locate_many(struct req *r)
{
	uint32_t n;
	uint64_t ids[STORE_LOCATE_MAX];
	int rc = req_get_emailids(r, ids, &n);
	if (rc < 0 || (rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0)
		return rc;
	sqlite3_stmt *st = db_stmt(r->d, ST_MSG_BY_BLOB, LOCATE_SQL);
	if (st == NULL)
		return db_fail(r->d, "prepare");
	req_reply_stream(r);
	for (uint32_t i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)ids[i]);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			put_location(r, st);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return db_fail(r->d, "locations");
	}
	req_end(r);
	return 0;
}
