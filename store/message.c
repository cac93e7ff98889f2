/* message: append, fetch, body, flags, copy, move, expunge, changes
 * (see message.h). Handlers h_* are listed in handlers.h. */
#include "message.h"
#include "blob.h"
#include "budget.h"
#include "buf.h"
#include "request.h"
#include "db.h"
#include "delivery.h"
#include "handlers.h"
#include "ipc.h"
#include "log.h"
#include "mailbox.h"
#include "meta.h"
#include "msgfile.h"
#include "notify.h"
#include "quota.h"
#include "slice.h"
#include "user.h"
#include "store_proto.h"
#include "wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_REFS 64          /* message ids looked at for threading */

static struct store_uids req_set, out_set, out_set2;
static struct buf metabuf = BUF_INIT(STORE_META_MAX);

uint32_t meta_max_len = META_DEFAULT_LEN;

/* ---- rows collected before they are changed ------------------------------- */

struct mrow {
	uint32_t uid, flags;
	uint64_t kw, modseq;
	int64_t blob, internaldate;
	int32_t tzoff;
	uint64_t size;
	uint64_t charge;        /* quota: size + metadata bytes */
};

static struct mrow *rows;
static size_t nrows, caprows;

static int
rows_push(const struct mrow *m)
{
	if (nrows == caprows) {
		size_t ncap = caprows ? caprows * 2 : 1024;
		struct mrow *nr = realloc(rows, ncap * sizeof(*nr));
		if (nr == NULL)
			return -1;
		rows = nr;
		caprows = ncap;
	}
	rows[nrows++] = *m;
	return 0;
}

/* The rows of mb whose UID is in set, in UID order. */
static int
collect(struct udb *d, const struct mbox *mb, const struct store_uids *set)
{
	nrows = 0;
	sqlite3_stmt *st = db_stmt(d, ST_MSG_RANGE,
	    "SELECT m.uid, m.flags, m.kw, m.modseq, m.blob, m.internaldate,"
	    " m.tzoff, b.size, b.size + b.metalen FROM msgs m"
	    " JOIN blob b ON b.id=m.blob"
	    " WHERE m.mailbox=?1 AND m.uid BETWEEN ?2 AND ?3 ORDER BY m.uid");
	if (st == NULL)
		return db_fail(d, "prepare");
	for (size_t i = 0; i < set->n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, mb->id);
		sqlite3_bind_int64(st, 2, set->r[i].lo);
		sqlite3_bind_int64(st, 3, set->r[i].hi);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct mrow m = {
				.uid = (uint32_t)sqlite3_column_int64(st, 0),
				.flags = (uint32_t)sqlite3_column_int(st, 1),
				.kw = (uint64_t)sqlite3_column_int64(st, 2),
				.modseq = (uint64_t)sqlite3_column_int64(st, 3),
				.blob = sqlite3_column_int64(st, 4),
				.internaldate = sqlite3_column_int64(st, 5),
				.tzoff = sqlite3_column_int(st, 6),
				.size = (uint64_t)sqlite3_column_int64(st, 7),
				.charge = (uint64_t)sqlite3_column_int64(st, 8),
			};
			if (rows_push(&m) < 0) {
				sqlite3_reset(st);
				return -IPC_ERR_INTERNAL;
			}
		}
		if (rc != SQLITE_DONE) {
			sqlite3_reset(st);
			return db_fail(d, "collect");
		}
	}
	sqlite3_reset(st);
	return 0;
}

static int
unseen_of(uint32_t flags)
{
	return (flags & STORE_FLAG_SEEN) ? 0 : 1;
}

static int
deleted_of(uint32_t flags)
{
	return (flags & STORE_FLAG_DELETED) ? 1 : 0;
}

/* ---- blob references -------------------------------------------------------- */

static int
blob_ref(struct udb *d, int64_t blob)
{
	sqlite3_stmt *st = db_stmt(d, ST_BLOB_REF,
	    "UPDATE blob SET refs=refs+1 WHERE id=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, blob);
	return db_exec(st) < 0 ? db_fail(d, "blob ref") : 0;
}

/* The email's last copy went at modseq: remember its thread. */
static int
email_tomb(struct udb *d, int64_t emailid, int64_t thread, uint64_t modseq)
{
	sqlite3_stmt *st = db_stmt(d, ST_EMAIL_TOMB_PUT,
	    "INSERT OR REPLACE INTO email_tomb(emailid, thread, modseq)"
	    " VALUES(?, ?, ?)");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, emailid);
	sqlite3_bind_int64(st, 2, thread);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)modseq);
	return db_exec(st) < 0 ? db_fail(d, "email tombstone") : 0;
}

/* Drop one reference; the last one deletes the row, its text index entry
 * and (after the commit) its file, and leaves an email tombstone. */
static int
blob_unref(struct udb *d, int64_t blob, uint64_t modseq, int64_t *emailid)
{
	sqlite3_stmt *st = db_stmt(d, ST_BLOB_UNREF,
	    "UPDATE blob SET refs=refs-1 WHERE id=?"
	    " RETURNING refs, hash, emailid, thread");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, blob);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(d, "blob unref");
	}
	int64_t refs = sqlite3_column_int64(st, 0);
	uint8_t hash[MSGFILE_HASH_LEN];
	const void *h = sqlite3_column_blob(st, 1);
	bool ok = h != NULL && sqlite3_column_bytes(st, 1) == MSGFILE_HASH_LEN;
	if (ok)
		memcpy(hash, h, MSGFILE_HASH_LEN);
	*emailid = sqlite3_column_int64(st, 2);
	int64_t thread = sqlite3_column_int64(st, 3);
	sqlite3_reset(st);
	if (!ok)
		return db_fail(d, "blob hash");
	if (refs > 0)
		return 0;
	int rc = email_tomb(d, *emailid, thread, modseq);
	if (rc < 0)
		return rc;
	st = db_stmt(d, ST_BLOB_DELETE, "DELETE FROM blob WHERE id=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, blob);
	if (db_exec(st) < 0)
		return db_fail(d, "blob delete");
	st = db_stmt(d, ST_BLOBHDR_DELETE, "DELETE FROM blobhdr WHERE id=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, blob);
	if (db_exec(st) < 0)
		return db_fail(d, "blob headers delete");
	st = db_stmt(d, ST_FTS_DELETE, "DELETE FROM fts WHERE rowid=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, blob);
	if (db_exec(st) < 0)
		return db_fail(d, "fts delete");
	/* an unexpired upload of the same bytes keeps the file */
	int held = upload_holds(d, hash);
	if (held != 0)
		return held < 0 ? held : 0;
	return db_unlink_later(d, hash) < 0 ? -IPC_ERR_INTERNAL : 0;
}

/* Before the row goes: it keeps when the copy was made (did the email
 * exist at a JMAP state). */
static int
tombstone(struct udb *d, int64_t mailbox, uint32_t uid, uint64_t modseq,
    int64_t emailid)
{
	sqlite3_stmt *st = db_stmt(d, ST_TOMB_INSERT,
	    "INSERT OR REPLACE INTO tomb(mailbox, uid, modseq, emailid,"
	    " created_modseq) SELECT ?1, ?2, ?3, ?4, created_modseq FROM msgs"
	    " WHERE mailbox=?1 AND uid=?2");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)modseq);
	sqlite3_bind_int64(st, 4, emailid);
	return db_exec(st) < 0 ? db_fail(d, "tombstone") : 0;
}

static int
delete_row(struct udb *d, int64_t mailbox, uint32_t uid)
{
	sqlite3_stmt *st = db_stmt(d, ST_MSG_DELETE,
	    "DELETE FROM msgs WHERE mailbox=? AND uid=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uid);
	return db_exec(st) < 0 ? db_fail(d, "delete message") : 0;
}

int
message_expunge(struct udb *d, struct mbox *mb, const struct store_uids *set,
    bool only_deleted, uint64_t modseq, struct store_uids *out)
{
	int rc = collect(d, mb, set != NULL && set->n > 0 ? set : &store_uids_all);
	if (rc < 0)
		return rc;
	int64_t n = 0, unseen = 0, deleted = 0, size = 0, charge = 0;
	for (size_t i = 0; i < nrows; i++) {
		struct mrow *m = &rows[i];
		int64_t emailid = 0;
		if (only_deleted && !(m->flags & STORE_FLAG_DELETED))
			continue;
		if ((rc = blob_unref(d, m->blob, modseq, &emailid)) < 0 ||
		    (rc = tombstone(d, mb->id, m->uid, modseq, emailid)) < 0 ||
		    (rc = delete_row(d, mb->id, m->uid)) < 0)
			return rc;
		if (out != NULL && store_uids_add(out, m->uid, m->uid) < 0)
			return -IPC_ERR_INTERNAL;
		n++;
		unseen += unseen_of(m->flags);
		deleted += deleted_of(m->flags);
		size += (int64_t)m->size;
		charge += (int64_t)m->charge;
	}
	if (n == 0)
		return 0;
	if ((rc = mailbox_count(d, mb->id, -n, -unseen, -deleted, -size,
	    modseq)) < 0 || (rc = quota_add(d, -charge, -n)) < 0)
		return rc;
	mb->modseq = modseq;
	return 0;
}

/* ---- append ----------------------------------------------------------------- */

/* The thread of a new message: that of the first message it names in
 * In-Reply-To/References (or that named it first), else a new one. Message
 * ids come as the worker wrote them: space-separated, never parsed here
 * beyond that split. */
static int
next_id(const struct meta_bytes *b, size_t *pos, const uint8_t **p, size_t *n)
{
	while (*pos < b->n && b->p[*pos] == ' ')
		(*pos)++;
	if (*pos >= b->n)
		return 0;
	size_t s = *pos;
	while (*pos < b->n && b->p[*pos] != ' ')
		(*pos)++;
	*p = b->p + s;
	*n = *pos - s;
	return 1;
}

static int
msgid_thread(struct udb *d, const uint8_t *p, size_t n, int64_t *thread)
{
	sqlite3_stmt *st = db_stmt(d, ST_MSGID_GET,
	    "SELECT thread FROM msgids WHERE msgid=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_text(st, 1, (const char *)p, (int)n, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*thread = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : db_fail(d, "msgid");
}

static int
msgid_put(struct udb *d, const uint8_t *p, size_t n, int64_t thread)
{
	sqlite3_stmt *st = db_stmt(d, ST_MSGID_PUT,
	    "INSERT OR IGNORE INTO msgids(msgid, thread) VALUES(?, ?)");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_text(st, 1, (const char *)p, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, thread);
	return db_exec(st) < 0 ? db_fail(d, "msgid put") : 0;
}

static int
assign_thread(struct udb *d, const struct meta *m, int64_t *thread)
{
	const struct meta_bytes *lists[2] = { &m->t[MT_IN_REPLY_TO],
		&m->t[MT_REFERENCES] };
	const struct meta_bytes *self = &m->t[MT_MESSAGE_ID];
	const uint8_t *p;
	size_t n, pos;
	int rc, seen = 0;
	*thread = 0;
	for (int l = 0; l < 2 && *thread == 0; l++)
		for (pos = 0; *thread == 0 && seen < MAX_REFS &&
		    next_id(lists[l], &pos, &p, &n); seen++)
			if ((rc = msgid_thread(d, p, n, thread)) < 0)
				return rc;
	if (*thread == 0 && self->n > 0 &&
	    (rc = msgid_thread(d, self->p, self->n, thread)) < 0)
		return rc;
	if (*thread == 0) {
		sqlite3_stmt *st = db_stmt(d, ST_META_GET,
		    "SELECT v FROM meta WHERE k=?");
		if (st == NULL)
			return db_fail(d, "prepare");
		sqlite3_bind_text(st, 1, "next_thread", -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			*thread = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		st = db_stmt(d, ST_META_SET, "UPDATE meta SET v=? WHERE k=?");
		if (st == NULL || *thread == 0)
			return db_fail(d, "next_thread");
		sqlite3_bind_int64(st, 1, *thread + 1);
		sqlite3_bind_text(st, 2, "next_thread", -1, SQLITE_STATIC);
		if (db_exec(st) < 0)
			return db_fail(d, "next_thread");
	}
	if (self->n > 0 && (rc = msgid_put(d, self->p, self->n, *thread)) < 0)
		return rc;
	seen = 0;
	for (int l = 0; l < 2; l++)
		for (pos = 0; seen < MAX_REFS && next_id(lists[l], &pos, &p, &n);
		    seen++)
			if ((rc = msgid_put(d, p, n, *thread)) < 0)
				return rc;
	return 0;
}

static int
find_blob(struct udb *d, const uint8_t hash[MSGFILE_HASH_LEN], int64_t *id,
    int64_t *thread, uint64_t *metalen)
{
	sqlite3_stmt *st = db_stmt(d, ST_BLOB_FIND,
	    "SELECT id, thread, metalen FROM blob WHERE emailid=? AND hash=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, mailbox_emailid(hash));
	sqlite3_bind_blob(st, 2, hash, MSGFILE_HASH_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*thread = sqlite3_column_int64(st, 1);
		*metalen = (uint64_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : db_fail(d, "blob find");
}

static void
bind_bytes(sqlite3_stmt *st, int col, const struct meta_bytes *b)
{
	sqlite3_bind_blob(st, col, b->n ? b->p : (const uint8_t *)"", (int)b->n,
	    SQLITE_STATIC);
}

static void
bind_text(sqlite3_stmt *st, int col, const struct meta_bytes *b)
{
	sqlite3_bind_text(st, col, b->n ? (const char *)b->p : "", (int)b->n,
	    SQLITE_STATIC);
}

static int
insert_blob(struct udb *d, const uint8_t hash[MSGFILE_HASH_LEN], uint64_t size,
    uint64_t metalen, const struct meta *m, int64_t *id, int64_t *thread)
{
	int rc = assign_thread(d, m, thread);
	if (rc < 0)
		return rc;
	sqlite3_stmt *st = db_stmt(d, ST_BLOB_INSERT,
	    "INSERT INTO blob(emailid, hash, size, refs, thread, sentdate, info,"
	    " envelope, bodystructure, body, preview, metalen) VALUES(?1, ?2, ?3,"
	    " 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, mailbox_emailid(hash));
	sqlite3_bind_blob(st, 2, hash, MSGFILE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 4, *thread);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)m->sentdate);
	sqlite3_bind_int64(st, 6, m->info);
	bind_bytes(st, 7, &m->t[MT_ENVELOPE]);
	bind_bytes(st, 8, &m->t[MT_BODYSTRUCTURE]);
	bind_bytes(st, 9, &m->t[MT_BODY]);
	bind_bytes(st, 10, &m->t[MT_PREVIEW]);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)metalen);
	if (db_exec(st) < 0)
		return db_fail(d, "insert blob");
	*id = sqlite3_last_insert_rowid(d->db);
	st = db_stmt(d, ST_BLOBHDR_INSERT,
	    "INSERT INTO blobhdr(id, hfrom, hto, hcc, hbcc, hsubject, msgid,"
	    " inreplyto, hrefs, sort_subject, sort_from, sort_to, sort_cc,"
	    " disp_from, disp_to, headers) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	    " ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, *id);
	static const enum meta_text cols[] = { MT_FROM, MT_TO, MT_CC, MT_BCC,
		MT_SUBJECT, MT_MESSAGE_ID, MT_IN_REPLY_TO, MT_REFERENCES,
		MT_SORT_SUBJECT, MT_SORT_FROM, MT_SORT_TO, MT_SORT_CC,
		MT_DISPLAY_FROM, MT_DISPLAY_TO };
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		bind_text(st, 2 + (int)i, &m->t[cols[i]]);
	bind_bytes(st, 16, &m->headers);
	if (db_exec(st) < 0)
		return db_fail(d, "insert blob headers");
	st = db_stmt(d, ST_FTS_INSERT,
	    "INSERT INTO fts(rowid, hdr, body) VALUES(?, ?, ?)");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, *id);
	bind_text(st, 2, &m->headers);
	bind_text(st, 3, &m->text);
	return db_exec(st) < 0 ? db_fail(d, "fts insert") : 0;
}

static int
insert_msg(struct udb *d, int64_t mailbox, uint32_t uid, int64_t blob,
    uint32_t flags, uint64_t kw, uint64_t modseq, int64_t internaldate,
    int32_t tzoff)
{
	sqlite3_stmt *st = db_stmt(d, ST_MSG_INSERT,
	    "INSERT INTO msgs(mailbox, uid, blob, flags, kw, modseq, internaldate,"
	    " tzoff, savedate, created_modseq) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	    " ?8, ?9, ?6)");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_int64(st, 3, blob);
	sqlite3_bind_int64(st, 4, flags);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)kw);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)modseq);
	sqlite3_bind_int64(st, 7, internaldate);
	sqlite3_bind_int64(st, 8, tzoff);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)time(NULL));
	return db_exec(st) < 0 ? db_fail(d, "insert message") : 0;
}

/* The metadata block: metalen bytes at meta_off of r->fd, its end. */
static int
read_meta(struct req *r, const struct append_at *a, struct meta *m)
{
	uint64_t size = a->size;
	uint64_t meta_start = a->from_src ? a->meta_off : a->off + size;
	uint32_t metalen = a->metalen;
	struct stat sb;
	if (fstat(r->fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return req_fail(r, IPC_ERR_MALFORMED, "the fd is not a memfd");
	if (size == 0 || size > STORE_MSG_MAX)
		return req_fail(r, IPC_ERR_LIMIT, "message size out of range");
	if (metalen > meta_max_len)
		return req_fail(r, IPC_ERR_LIMIT, "metadata of %u bytes, more than"
		    " the store takes (%u)", metalen, meta_max_len);
	/* one message: the fd ends with its metadata; a batch: it lies
	 * within */
	if (!a->batch ? (uint64_t)sb.st_size != meta_start + metalen :
	    (uint64_t)sb.st_size < meta_start + metalen)
		return req_fail(r, IPC_ERR_MALFORMED,
		    "the fd holds %lld bytes, not the metadata's end",
		    (long long)sb.st_size);
	buf_reset(&metabuf);
	if (buf_reserve(&metabuf, metalen) < 0)
		return req_fail(r, IPC_ERR_LIMIT, "metadata too large");
	for (size_t got = 0; got < metalen;) {
		ssize_t n = pread(r->fd, metabuf.data + got, metalen - got,
		    (off_t)(meta_start + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return req_fail(r, IPC_ERR_MALFORMED, "short metadata");
		got += (size_t)n;
	}
	metabuf.len = metalen;
	if (meta_decode(metabuf.data, metalen, m) < 0)
		return req_fail(r, IPC_ERR_MALFORMED, "malformed metadata block");
	return 0;
}

/* A UID the source chose (migration): above every UID the mailbox has
 * given, so it is neither present nor reused. */
static int
take_uid(struct req *r, struct mbox *mb, uint32_t want, uint32_t *uid)
{
	if (want != 0 && want < mb->uidnext)
		return req_fail(r, IPC_ERR_EXISTS, "UID %u is below the mailbox's"
		    " UIDNEXT %u", want, mb->uidnext);
	if (want != 0)
		mb->uidnext = want;
	int rc = mailbox_take_uids(r->d, mb, 1, uid);
	return rc == -IPC_ERR_LIMIT ? req_fail(r, IPC_ERR_LIMIT,
	    "mailbox UIDs exhausted") : rc;
}

int
message_append_at(struct req *r, struct mbox *mb, const struct append_at *a,
    struct append_done *out)
{
	static struct meta m;
	struct udb *d = r->d;
	uint64_t size = a->size;
	uint32_t metalen = a->metalen;
	bool delivery = a->delivery;
	int rc = read_meta(r, a, &m);
	if (rc < 0)
		return rc;
	if (delivery)
		delivery_filter_meta(&m, a->set);
	/* the metadata is stored too (text index, headers): charged with
	 * the message */
	if ((rc = quota_check(r, d, size + metalen, 1)) < 0)
		return rc;
	uint64_t kw = 0;
	for (uint32_t i = 0; i < m.nkw; i++) {
		int bit = db_keyword_bit(d, (const char *)m.kw[i].p, m.kw[i].n, true);
		if (bit < 0 && delivery)
			continue;   /* a full keyword table does not bounce mail */
		if (bit < 0 && a->batch) {
			/* nor stop a migration: the message without it */
			out->kw_dropped++;
			continue;
		}
		if (bit < 0)
			return req_fail(r, IPC_ERR_LIMIT, "too many keywords");
		kw |= 1ull << bit;
	}
	uint8_t hash[MSGFILE_HASH_LEN];
	int syncfd;
	if (msgfile_store(d->u->id, a->from_src ? a->src : r->fd,
	    a->from_src ? 0 : a->off, size, hash, &syncfd) < 0) {
		int e = errno;
		if (e == EIO)
			return req_fail(r, IPC_ERR_MALFORMED, "short message fd");
		log_err("user %s: storing a message: %s", d->u->name,
		    strerror(e));
		if (e == ENOSPC || e == EDQUOT)
			return req_fail(r, IPC_ERR_NOSPACE, "not enough disk space"
			    " in the store");
		return req_fail(r, IPC_ERR_INTERNAL, "cannot store the message");
	}
	if (syncfd >= 0 && db_sync_later(d, syncfd, hash) < 0) {
		close(syncfd);
		return req_fail(r, IPC_ERR_INTERNAL, "out of memory");
	}
	int64_t blob = 0, thread = 0;
	uint64_t charge = size + metalen, old_metalen = 0;
	if ((rc = find_blob(d, hash, &blob, &thread, &old_metalen)) < 0)
		return rc;
	if (rc == 1) {
		/* a copy of a stored message is charged what expunging it
		 * will give back */
		charge = size + old_metalen;
		rc = blob_ref(d, blob);
	} else {
		rc = insert_blob(d, hash, size, metalen, &m, &blob, &thread);
	}
	if (rc < 0)
		return rc;
	uint32_t uid;
	uint64_t modseq = db_next_modseq(d);
	if ((rc = take_uid(r, mb, a->uid, &uid)) < 0)
		return rc;
	if ((rc = insert_msg(d, mb->id, uid, blob, m.flags, kw, modseq,
	    (int64_t)m.internaldate, m.tzoff)) < 0 ||
	    (rc = mailbox_count(d, mb->id, 1, unseen_of(m.flags),
	    deleted_of(m.flags), (int64_t)size, modseq)) < 0 ||
	    (rc = quota_add(d, (int64_t)charge, 1)) < 0)
		return rc;
	notify_changed(d, mb->id, r->ch);
	out->uid = uid;
	out->modseq = modseq;
	out->thread = thread;
	memcpy(out->hash, hash, sizeof(hash));
	return 0;
}

static int
append_reply(struct req *r, struct mbox *mb, const struct append_at *a)
{
	struct append_done o = { 0 };
	int rc = message_append_at(r, mb, a, &o);
	if (rc < 0 || a->delivery)
		return rc;  /* a status only: the delivery right reads nothing */
	ipc_put_u64(r->rb, (uint64_t)mb->id);
	ipc_put_u32(r->rb, mb->uidvalidity);
	ipc_put_u32(r->rb, o.uid);
	ipc_put_u64(r->rb, o.modseq);
	ipc_put_u64(r->rb, (uint64_t)mailbox_emailid(o.hash));
	ipc_put_u64(r->rb, (uint64_t)o.thread);
	ipc_put_bytes(r->rb, o.hash, sizeof(o.hash));
	return 0;
}

int
message_append(struct req *r, struct mbox *mb, uint64_t size, uint32_t metalen,
    bool delivery)
{
	struct append_at a = { .size = size, .metalen = metalen,
		.delivery = delivery };
	return append_reply(r, mb, &a);
}

int
message_deliver_flags(struct req *r, struct mbox *mb, uint64_t size,
    uint32_t metalen, const struct delivery_set *set)
{
	struct append_at a = { .size = size, .metalen = metalen,
		.delivery = true, .set = set };
	return append_reply(r, mb, &a);
}

int
message_append_from(struct req *r, struct mbox *mb, int src, uint64_t size,
    uint64_t meta_off, uint32_t metalen, bool delivery)
{
	struct append_at a = { .size = size, .metalen = metalen,
		.delivery = delivery, .from_src = true, .src = src,
		.meta_off = meta_off };
	return append_reply(r, mb, &a);
}

int
h_append(struct req *r)
{
	uint64_t id, size;
	uint32_t metalen;
	const char *name;
	size_t len;
	struct mbox mb;
	wire_get_mbox_ref(&r->c, &id, &name, &len);
	ipc_get_u64(&r->c, &size);
	ipc_get_u32(&r->c, &metalen);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0 ||
	    (rc = mailbox_ref(r, id, name, len, &mb)) < 0)
		return rc;
	return message_append(r, &mb, size, metalen, false);
}

/* ---- fetch ---------------------------------------------------------------------- */

#define NEEDS_BLOB (STORE_F_SIZE | STORE_F_ENVELOPE | STORE_F_BODYSTRUCTURE | \
	STORE_F_BODY | STORE_F_IDS | STORE_F_SENTDATE | STORE_F_ADDRS | \
	STORE_F_PREVIEW)
/* Column order of both fetch statements: the uid, then the column of
 * each entry field (store_entry_layout, the one layout both ends walk). */
enum { FC_UID, FC_FLAGS, FC_KW, FC_MODSEQ, FC_IDATE, FC_TZ, FC_SAVEDATE,
	FC_SIZE, FC_ENV, FC_BS, FC_BODY, FC_EMAILID, FC_THREAD, FC_HASH,
	FC_SENT, FC_FROM, FC_TO, FC_CC, FC_BCC, FC_SUBJ, FC_MSGID, FC_IRT,
	FC_REFS, FC_PREVIEW, FC_INFO };
static const int column_of[SE_COUNT] = {
	[SE_FLAGS] = FC_FLAGS, [SE_KEYWORDS] = FC_KW, [SE_MODSEQ] = FC_MODSEQ,
	[SE_INTERNALDATE] = FC_IDATE, [SE_TZOFF] = FC_TZ, [SE_SIZE] = FC_SIZE,
	[SE_ENVELOPE] = FC_ENV, [SE_BODYSTRUCTURE] = FC_BS,
	[SE_BODY] = FC_BODY, [SE_EMAILID] = FC_EMAILID,
	[SE_THREADID] = FC_THREAD, [SE_BLOBID] = FC_HASH,
	[SE_SENTDATE] = FC_SENT, [SE_FROM] = FC_FROM, [SE_TO] = FC_TO,
	[SE_CC] = FC_CC, [SE_BCC] = FC_BCC, [SE_SUBJECT] = FC_SUBJ,
	[SE_MESSAGE_ID] = FC_MSGID, [SE_IN_REPLY_TO] = FC_IRT,
	[SE_REFERENCES] = FC_REFS, [SE_PREVIEW] = FC_PREVIEW,
	[SE_INFO] = FC_INFO, [SE_SAVEDATE] = FC_SAVEDATE,
};

static void
put_col_bytes(struct buf *b, sqlite3_stmt *st, int col)
{
	const void *p = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);
	ipc_put_bytes(b, p != NULL ? p : "", p != NULL ? (size_t)n : 0);
}

static void
put_entry(struct buf *b, sqlite3_stmt *st, uint32_t what)
{
	ipc_put_u32(b, (uint32_t)sqlite3_column_int64(st, FC_UID));
	for (size_t i = 0; i < SE_COUNT; i++) {
		const struct store_entry_layout *l = &store_entry_layout[i];
		int col = column_of[l->field];
		if (!(what & l->what))
			continue;
		if (l->kind == SE_U32)
			ipc_put_u32(b, (uint32_t)sqlite3_column_int64(st, col));
		else if (l->kind == SE_U64)
			ipc_put_u64(b, (uint64_t)sqlite3_column_int64(st, col));
		else
			put_col_bytes(b, st, col);
	}
}

#define FETCH_COLS "m.uid, m.flags, m.kw, m.modseq, m.internaldate, m.tzoff," \
	" m.savedate"
#define FETCH_BLOB_COLS ", b.size, b.envelope, b.bodystructure, b.body," \
	" b.emailid, b.thread, b.hash, b.sentdate, NULL, NULL, NULL, NULL, NULL," \
	" NULL, NULL, NULL, b.preview, b.info"
#define FETCH_HDR_COLS ", b.size, b.envelope, b.bodystructure, b.body," \
	" b.emailid, b.thread, b.hash, b.sentdate, h.hfrom, h.hto, h.hcc," \
	" h.hbcc, h.hsubject, h.msgid, h.inreplyto, h.hrefs, b.preview, b.info"

/* The statement that reads what of a UID range (?2..?3) of mailbox ?1
 * with modseq above ?4. */
static sqlite3_stmt *
fetch_stmt(struct udb *d, uint32_t what)
{
	if (what & STORE_F_ADDRS)
		return db_stmt(d, ST_MSG_RANGE_HDR, "SELECT " FETCH_COLS
		    FETCH_HDR_COLS " FROM msgs m JOIN blob b ON b.id=m.blob"
		    " JOIN blobhdr h ON h.id=m.blob"
		    " WHERE m.mailbox=?1 AND m.uid BETWEEN ?2 AND ?3"
		    " AND m.modseq>?4 ORDER BY m.uid");
	if (what & NEEDS_BLOB)
		return db_stmt(d, ST_MSG_RANGE_META, "SELECT " FETCH_COLS
		    FETCH_BLOB_COLS " FROM msgs m JOIN blob b ON b.id=m.blob"
		    " WHERE m.mailbox=?1 AND m.uid BETWEEN ?2 AND ?3"
		    " AND m.modseq>?4 ORDER BY m.uid");
	return db_stmt(d, ST_MSG_GET, "SELECT " FETCH_COLS
	    " FROM msgs m WHERE m.mailbox=?1 AND m.uid BETWEEN ?2 AND ?3"
	    " AND m.modseq>?4 ORDER BY m.uid");
}

static int
mailbox_of(struct req *r, uint64_t id, struct mbox *mb)
{
	int rc = req_db(r);
	if (rc < 0)
		return rc;
	return mailbox_ref(r, id, NULL, 0, mb);
}

/* A FETCH made in slices (slice.h): where the next slice starts. */
struct fetch_slice {
	struct slice k;
	struct store_range *r;         /* the request's set (a copy) */
	size_t n, i;                /* ranges; the current one */
	uint32_t next;              /* the next UID of range i (0: its start) */
	uint64_t mbox, since, modseq;
	uint32_t what;
	bool changes;               /* STORE_CHANGES: the trailer has ... */
	struct store_uids vanished;     /* ... the UIDs expunged since */
};

static void
fetch_free(struct slice *k)
{
	struct fetch_slice *f = (struct fetch_slice *)k;
	free(f->r);
	store_uids_free(&f->vanished);
	free(f);
}

static int
fetch_step(struct slice *k, struct buf *out)
{
	struct fetch_slice *f = (struct fetch_slice *)k;
	if (k->u->deleted)
		return slice_fail(k, IPC_ERR_NOTFOUND, "the user was deleted");
	struct udb *d = user_db(k->u);
	if (d == NULL)
		return slice_fail(k, IPC_ERR_INTERNAL, "cannot open the database");
	sqlite3_stmt *st = fetch_stmt(d, f->what);
	if (st == NULL)
		return slice_fail(k, -db_fail(d, "prepare"), "fetch failed");
	for (; f->i < f->n; f->i++, f->next = 0) {
		uint32_t lo = f->r[f->i].lo > f->next ? f->r[f->i].lo : f->next;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)f->mbox);
		sqlite3_bind_int64(st, 2, lo);
		sqlite3_bind_int64(st, 3, f->r[f->i].hi);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)f->since);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			ipc_put_u32(out, 1);
			put_entry(out, st, f->what);
			uint32_t uid = (uint32_t)sqlite3_column_int64(st, FC_UID);
			f->next = uid + 1;        /* 0 after UID 2^32-1: range done */
			if (out->failed) {
				sqlite3_reset(st);
				return slice_fail(k, IPC_ERR_LIMIT, "reply too large");
			}
			if (slice_over(k, out)) {
				sqlite3_reset(st);
				if (f->next == 0 || f->next > f->r[f->i].hi) {
					f->i++;
					f->next = 0;
				}
				return 1;
			}
		}
		if (rc != SQLITE_DONE) {
			sqlite3_reset(st);
			return slice_fail(k, -db_fail(d, "fetch"), "fetch failed");
		}
	}
	sqlite3_reset(st);
	ipc_put_u32(out, 0);
	if (f->changes)
		store_uids_put(out, &f->vanished);
	ipc_put_u64(out, f->modseq);
	return 0;
}

/* A sliced reply of mb's entries in set with modseq above since. */
static struct fetch_slice *
fetch_slice_new(const struct store_uids *set, const struct mbox *mb,
    uint32_t what, uint64_t since)
{
	struct fetch_slice *f = calloc(1, sizeof(*f));
	if (f == NULL || (set->n > 0 &&
	    (f->r = malloc(set->n * sizeof(*f->r))) == NULL)) {
		free(f);
		return NULL;
	}
	if (set->n > 0)
		memcpy(f->r, set->r, set->n * sizeof(*f->r));
	f->n = set->n;
	f->k.step = fetch_step;
	f->k.free = fetch_free;
	f->mbox = (uint64_t)mb->id;
	f->since = since;
	f->modseq = mb->modseq;
	f->what = what;
	return f;
}

int
h_fetch(struct req *r)
{
	uint64_t id, since;
	uint32_t what;
	struct mbox mb;
	ipc_get_u64(&r->c, &id);
	store_uids_get(&r->c, &req_set, STORE_MAX_RANGES);
	ipc_get_u32(&r->c, &what);
	ipc_get_u64(&r->c, &since);
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if ((what & ~STORE_F_KNOWN) != 0)
		return req_fail(r, IPC_ERR_MALFORMED, "unknown fetch items");
	if ((rc = mailbox_of(r, id, &mb)) < 0)
		return rc;
	struct fetch_slice *f = fetch_slice_new(&req_set, &mb, what, since);
	if (f == NULL)
		return req_fail(r, IPC_ERR_INTERNAL, "out of memory");
	return req_first_slice(r, &f->k);
}

/* ---- body ---------------------------------------------------------------------- */

/* The file of message uid of mb: 1 with *fd and *size (hash filled if
 * not NULL), 0 if there is no such message, or a negative IPC error. */
static int
blob_open(struct req *r, const struct mbox *mb, uint32_t uid, int *fd,
    uint64_t *size, uint8_t hash[MSGFILE_HASH_LEN])
{
	sqlite3_stmt *st = db_stmt(r->d, ST_BLOB_GET,
	    "SELECT b.hash, b.size FROM msgs m JOIN blob b ON b.id=m.blob"
	    " WHERE m.mailbox=? AND m.uid=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, mb->id);
	sqlite3_bind_int64(st, 2, uid);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	const void *h = rc == SQLITE_ROW ? sqlite3_column_blob(st, 0) : NULL;
	if (h == NULL || sqlite3_column_bytes(st, 0) != MSGFILE_HASH_LEN) {
		sqlite3_reset(st);
		return db_fail(r->d, "blob hash");
	}
	uint8_t k[MSGFILE_HASH_LEN];
	memcpy(k, h, sizeof(k));
	*size = (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (hash != NULL)
		memcpy(hash, k, sizeof(k));
	*fd = msgfile_open(r->d->u->id, k);
	if (*fd < 0) {
		log_err("user %s: message file missing: %s", r->d->u->name,
		    strerror(errno));
		return req_fail(r, IPC_ERR_INTERNAL, "message file missing");
	}
	return 1;
}

int
h_body(struct req *r)
{
	uint64_t id;
	uint32_t uid;
	ipc_get_u64(&r->c, &id);
	ipc_get_u32(&r->c, &uid);
	int rc = req_end_of_fields(r);
	return rc < 0 ? rc : message_body(r, id, uid);
}

int
message_body(struct req *r, uint64_t id, uint32_t uid)
{
	struct mbox mb;
	int rc = mailbox_of(r, id, &mb);
	if (rc < 0)
		return rc;
	uint8_t hash[MSGFILE_HASH_LEN];
	uint64_t size = 0;
	rc = blob_open(r, &mb, uid, &r->rfd, &size, hash);
	if (rc == 0)
		return req_fail(r, IPC_ERR_NOTFOUND, "no such message");
	if (rc < 0)
		return rc;
	ipc_put_u64(r->rb, size);
	ipc_put_bytes(r->rb, hash, sizeof(hash));
	return 0;
}

/* STORE_BODIES: the files of up to STORE_BODIES_MAX messages in one
 * reply, their fds attached as one batch (IPC_F_FDS) in the order of the
 * entries that say "present": one request and one record for a FETCH
 * batch instead of one of each per message. */
int
h_bodies(struct req *r)
{
	uint64_t id;
	uint32_t n, uids[STORE_BODIES_MAX];
	ipc_get_u64(&r->c, &id);
	ipc_get_u32(&r->c, &n);
	if (!r->c.failed && (n == 0 || n > STORE_BODIES_MAX))
		return req_fail(r, IPC_ERR_MALFORMED, "bad body count");
	for (uint32_t i = 0; i < n && !r->c.failed; i++)
		ipc_get_u32(&r->c, &uids[i]);
	int rc = req_end_of_fields(r);
	struct mbox mb;
	if (rc < 0 || (rc = mailbox_of(r, id, &mb)) < 0)
		return rc;
	ipc_put_u32(r->rb, n);
	for (uint32_t i = 0; i < n; i++) {
		int fd = -1;
		uint64_t size = 0;
		rc = blob_open(r, &mb, uids[i], &fd, &size, NULL);
		if (rc < 0)
			return rc;      /* chan_reply_finish closes the batch */
		if (rc == 1)
			r->rfds.fd[r->rfds.n++] = fd;
		ipc_put_u32(r->rb, uids[i]);
		ipc_put_u32(r->rb, (uint32_t)rc);
		ipc_put_u64(r->rb, size);
	}
	return 0;
}

/* ---- flags --------------------------------------------------------------------- */

/* Unseen and \Deleted messages of mb within set. */
static int
count_flags(struct udb *d, const struct mbox *mb, const struct store_uids *set,
    int64_t *unseen, int64_t *deleted)
{
	sqlite3_stmt *st = db_stmt(d, ST_MSG_DELETED_IN,
	    "SELECT sum((flags & 1) = 0), sum((flags & 8) != 0) FROM msgs"
	    " WHERE mailbox=? AND uid BETWEEN ? AND ?");
	if (st == NULL)
		return db_fail(d, "prepare");
	*unseen = *deleted = 0;
	for (size_t i = 0; i < set->n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, mb->id);
		sqlite3_bind_int64(st, 2, set->r[i].lo);
		sqlite3_bind_int64(st, 3, set->r[i].hi);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			return db_fail(d, "count flags");
		}
		*unseen += sqlite3_column_int64(st, 0);
		*deleted += sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return 0;
}

/* UIDs of set whose modseq is above unchangedsince (RFC 7162 MODIFIED). */
static int
modified_since(struct udb *d, const struct mbox *mb, const struct store_uids *set,
    uint64_t unchangedsince, struct store_uids *out)
{
	sqlite3_stmt *st = db_stmt(d, ST_MSG_CHANGED,
	    "SELECT uid FROM msgs WHERE mailbox=? AND uid BETWEEN ? AND ?"
	    " AND modseq>? ORDER BY uid");
	if (st == NULL)
		return db_fail(d, "prepare");
	for (size_t i = 0; i < set->n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, mb->id);
		sqlite3_bind_int64(st, 2, set->r[i].lo);
		sqlite3_bind_int64(st, 3, set->r[i].hi);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)unchangedsince);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			uint32_t uid = (uint32_t)sqlite3_column_int64(st, 0);
			if (store_uids_add(out, uid, uid) < 0)
				rc = SQLITE_NOMEM;
		}
		if (rc != SQLITE_DONE) {
			sqlite3_reset(st);
			return db_fail(d, "modified");
		}
	}
	sqlite3_reset(st);
	return 0;
}

/* One UPDATE per range: flags' = (flags | add) & ~rm, likewise for the
 * keyword mask; only rows that change get the new modseq (RFC 7162), and
 * RETURNING gives them back for the reply. */
static int
update_flags(struct req *r, const struct mbox *mb, const struct store_uids *set,
    uint32_t add, uint32_t rm, uint64_t kadd, uint64_t krm,
    uint64_t unchangedsince, uint64_t modseq, bool report, unsigned *changed)
{
	sqlite3_stmt *st = db_stmt(r->d, ST_MSG_SET_FLAGS,
	    "UPDATE msgs SET flags=((flags | ?1) & ~?2), kw=((kw | ?3) & ~?4),"
	    " modseq=?5 WHERE mailbox=?6 AND uid BETWEEN ?7 AND ?8 AND modseq<=?9"
	    " AND (flags != ((flags | ?1) & ~?2) OR kw != ((kw | ?3) & ~?4))"
	    " RETURNING uid, flags, kw");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	*changed = 0;
	for (size_t i = 0; i < set->n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, add);
		sqlite3_bind_int64(st, 2, rm);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)kadd);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)krm);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)modseq);
		sqlite3_bind_int64(st, 6, mb->id);
		sqlite3_bind_int64(st, 7, set->r[i].lo);
		sqlite3_bind_int64(st, 8, set->r[i].hi);
		sqlite3_bind_int64(st, 9, unchangedsince ? (sqlite3_int64)unchangedsince
		    : INT64_MAX);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			(*changed)++;
			if (!report)
				continue;
			req_item(r);
			ipc_put_u32(r->rb, (uint32_t)sqlite3_column_int64(st, 0));
			ipc_put_u32(r->rb, (uint32_t)sqlite3_column_int64(st, 1));
			ipc_put_u64(r->rb, (uint64_t)sqlite3_column_int64(st, 2));
			ipc_put_u64(r->rb, modseq);
		}
		if (rc != SQLITE_DONE) {
			sqlite3_reset(st);
			return db_fail(r->d, "set flags");
		}
	}
	sqlite3_reset(st);
	return 0;
}

int
h_flags(struct req *r)
{
	uint64_t id, unchangedsince;
	uint32_t op, flags, nkw, report;
	const char *kwn[STORE_MAX_KEYWORDS];
	size_t kwl[STORE_MAX_KEYWORDS];
	struct mbox mb;
	ipc_get_u64(&r->c, &id);
	store_uids_get(&r->c, &req_set, STORE_MAX_RANGES);
	ipc_get_u32(&r->c, &op);
	ipc_get_u32(&r->c, &flags);
	if (ipc_get_u32(&r->c, &nkw) < 0)
		nkw = 0;
	if (nkw > STORE_MAX_KEYWORDS)
		return req_fail(r, IPC_ERR_LIMIT, "too many keywords");
	for (uint32_t i = 0; i < nkw && !r->c.failed; i++)
		if (ipc_get_strp(&r->c, &kwn[i], &kwl[i], STORE_KEYWORD_MAX) == 0 &&
		    kwl[i] == 0)
			r->c.failed = true;
	ipc_get_u64(&r->c, &unchangedsince);
	ipc_get_u32(&r->c, &report);
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if (op < STORE_FLAGS_ADD || op > STORE_FLAGS_REPLACE ||
	    (flags & ~STORE_FLAGS_ALL) != 0 || report > 1 ||
	    unchangedsince > INT64_MAX)
		return req_fail(r, IPC_ERR_MALFORMED, "bad flag operation");
	if ((rc = mailbox_of(r, id, &mb)) < 0)
		return rc;
	uint64_t kw = 0;
	for (uint32_t i = 0; i < nkw; i++) {
		int bit = db_keyword_bit(r->d, kwn[i], kwl[i], op != STORE_FLAGS_REMOVE);
		if (bit >= 0)
			kw |= 1ull << bit;
		else if (op != STORE_FLAGS_REMOVE)
			return req_fail(r, IPC_ERR_LIMIT, "too many keywords");
	}
	uint32_t add = 0, rm = 0;
	uint64_t kadd = 0, krm = 0;
	if (op == STORE_FLAGS_ADD) {
		add = flags;
		kadd = kw;
	} else if (op == STORE_FLAGS_REMOVE) {
		rm = flags;
		krm = kw;
	} else {
		add = flags;
		rm = STORE_FLAGS_ALL & ~flags;
		kadd = kw;
		krm = ~kw;
	}
	store_uids_clear(&out_set);
	if (unchangedsince != 0 &&
	    (rc = modified_since(r->d, &mb, &req_set, unchangedsince, &out_set)) < 0)
		return rc;
	int64_t unseen0, deleted0, unseen1, deleted1;
	if ((rc = count_flags(r->d, &mb, &req_set, &unseen0, &deleted0)) < 0)
		return rc;
	/* the next modseq, given back below if nothing changed */
	uint64_t modseq = db_next_modseq(r->d);
	unsigned changed = 0;
	req_reply_stream(r);
	if ((rc = update_flags(r, &mb, &req_set, add, rm, kadd, krm,
	    unchangedsince, modseq, report != 0, &changed)) < 0)
		return rc;
	if (changed > 0) {
		if ((rc = count_flags(r->d, &mb, &req_set, &unseen1, &deleted1)) < 0 ||
		    (rc = mailbox_count(r->d, mb.id, 0, unseen1 - unseen0,
		    deleted1 - deleted0, 0, modseq)) < 0)
			return rc;
		mb.modseq = modseq;
		notify_changed(r->d, mb.id, r->ch);
	} else if ((rc = db_give_back_modseq(r->d, modseq)) < 0) {
		return rc;
	}
	req_end(r);
	store_uids_put(r->rb, &out_set);
	ipc_put_u64(r->rb, mb.modseq);
	return 0;
}

/* ---- copy, move, expunge ---------------------------------------------------------- */

static int
copy_move(struct req *r, bool move)
{
	uint64_t id, dest_id;
	struct mbox src, dst;
	ipc_get_u64(&r->c, &id);
	store_uids_get(&r->c, &req_set, STORE_MAX_RANGES);
	ipc_get_u64(&r->c, &dest_id);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = mailbox_of(r, id, &src)) < 0 ||
	    (rc = mailbox_ref(r, dest_id, NULL, 0, &dst)) < 0)
		return rc;
	if ((rc = collect(r->d, &src, &req_set)) < 0)
		return rc;
	if (budget_limits.copy_messages != 0 &&
	    nrows > budget_limits.copy_messages) {
		budget_exceed(move ? "messages moved" : "messages copied");
		return req_fail(r, IPC_ERR_LIMIT, "more than %llu messages in one"
		    " request", (unsigned long long)budget_limits.copy_messages);
	}
	uint64_t bytes = 0, charge = 0;
	for (size_t i = 0; i < nrows; i++) {
		bytes += rows[i].size;
		charge += rows[i].charge;
	}
	if (!move && (rc = quota_check(r, r->d, charge, nrows)) < 0)
		return rc;
	store_uids_clear(&out_set);
	store_uids_clear(&out_set2);
	uint64_t modseq = 0;
	if (nrows > 0) {
		uint32_t first;
		if ((rc = mailbox_take_uids(r->d, &dst, (uint32_t)nrows, &first)) < 0)
			return rc == -IPC_ERR_LIMIT ? req_fail(r, IPC_ERR_LIMIT,
			    "mailbox UIDs exhausted") : rc;
		modseq = db_next_modseq(r->d);
		int64_t unseen = 0, deleted = 0;
		for (size_t i = 0; i < nrows; i++) {
			struct mrow *m = &rows[i];
			if ((rc = insert_msg(r->d, dst.id, first + (uint32_t)i, m->blob,
			    m->flags, m->kw, modseq, m->internaldate, m->tzoff)) < 0 ||
			    (!move && (rc = blob_ref(r->d, m->blob)) < 0))
				return rc;
			if (store_uids_add(&out_set, m->uid, m->uid) < 0 ||
			    store_uids_add(&out_set2, first + (uint32_t)i,
			    first + (uint32_t)i) < 0)
				return -IPC_ERR_INTERNAL;
			unseen += unseen_of(m->flags);
			deleted += deleted_of(m->flags);
		}
		if ((rc = mailbox_count(r->d, dst.id, (int64_t)nrows, unseen,
		    deleted, (int64_t)bytes, modseq)) < 0)
			return rc;
		if (move) {
			/* the moved rows keep their blob reference: take one
			 * more so that the expunge below frees nothing */
			for (size_t i = 0; i < nrows; i++)
				if ((rc = blob_ref(r->d, rows[i].blob)) < 0)
					return rc;
			struct store_uids moved = out_set;
			if ((rc = message_expunge(r->d, &src, &moved, false, modseq,
			    NULL)) < 0)
				return rc;
			/* the expunge gave back the bytes and count that moved */
			if ((rc = quota_add(r->d, (int64_t)charge, (int64_t)nrows)) < 0)
				return rc;
		} else if ((rc = quota_add(r->d, (int64_t)charge,
		    (int64_t)nrows)) < 0) {
			return rc;
		}
		notify_changed(r->d, dst.id, r->ch);
		if (move)
			notify_changed(r->d, src.id, r->ch);
	}
	req_reply_stream(r);
	req_end(r);
	ipc_put_u32(r->rb, dst.uidvalidity);
	store_uids_put(r->rb, &out_set);
	store_uids_put(r->rb, &out_set2);
	ipc_put_u64(r->rb, move ? src.modseq : dst.modseq);
	return 0;
}

int
h_copy(struct req *r)
{
	return copy_move(r, false);
}

int
h_move(struct req *r)
{
	return copy_move(r, true);
}

int
h_expunge(struct req *r)
{
	uint64_t id;
	struct mbox mb;
	ipc_get_u64(&r->c, &id);
	store_uids_get(&r->c, &req_set, STORE_MAX_RANGES);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = mailbox_of(r, id, &mb)) < 0)
		return rc;
	store_uids_clear(&out_set);
	if (mb.deleted > 0) {
		uint64_t modseq = db_next_modseq(r->d);
		if ((rc = message_expunge(r->d, &mb, req_set.n ? &req_set : NULL,
		    true, modseq, &out_set)) < 0)
			return rc;
		if (out_set.n > 0)
			notify_changed(r->d, mb.id, r->ch);
	}
	req_reply_stream(r);
	req_end(r);
	store_uids_put(r->rb, &out_set);
	ipc_put_u64(r->rb, mb.modseq);
	return 0;
}

/* ---- changes since a modseq ----------------------------------------------------------- */

int
h_changes(struct req *r)
{
	uint64_t id, since;
	uint32_t what;
	struct mbox mb;
	ipc_get_u64(&r->c, &id);
	ipc_get_u64(&r->c, &since);
	ipc_get_u32(&r->c, &what);
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if ((what & ~STORE_F_KNOWN) != 0)
		return req_fail(r, IPC_ERR_MALFORMED, "unknown fetch items");
	if ((rc = mailbox_of(r, id, &mb)) < 0)
		return rc;
	/* the vanished UIDs as of now, with the modseq of now: changes made
	 * while the entries are sliced out come again next time */
	store_uids_clear(&out_set);
	sqlite3_stmt *st = db_stmt(r->d, ST_TOMB_SINCE,
	    "SELECT uid FROM tomb WHERE mailbox=? AND modseq>? ORDER BY uid");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, mb.id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint32_t uid = (uint32_t)sqlite3_column_int64(st, 0);
		if (store_uids_add(&out_set, uid, uid) < 0)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(r->d, "vanished");
	struct fetch_slice *f = fetch_slice_new(&store_uids_all, &mb, what, since);
	if (f == NULL)
		return req_fail(r, IPC_ERR_INTERNAL, "out of memory");
	f->changes = true;
	for (size_t i = 0; i < out_set.n; i++)
		if (store_uids_add(&f->vanished, out_set.r[i].lo, out_set.r[i].hi) < 0) {
			fetch_free(&f->k);
			return req_fail(r, IPC_ERR_INTERNAL, "out of memory");
		}
	return req_first_slice(r, &f->k);
}
