/* import: the admin channel's migration requests (handlers.h) — a mailbox
 * with the source's UIDVALIDITY, messages with the source's UIDs, and what
 * a mailbox holds (UIDs, flags, dates, content hashes; bodies for export).
 * Workers never reach these: the table in dispatch.c marks them OP_ADMIN,
 * and each handler re-checks the channel (adm_user). */
#include "db.h"
#include "handlers.h"
#include "ipc.h"
#include "mailbox.h"
#include "message.h"
#include "notify.h"
#include "request.h"
#include "user.h"

#include <string.h>
#include <sys/stat.h>

/* One statement outside the prepared-statement cache (a few per folder):
 * binds up to 3 integers (and a text in ?4 if not NULL). */
static int
exec_once(struct udb *d, const char *sql, int64_t a, int64_t b, int64_t c,
    const char *text)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	sqlite3_bind_int64(st, 3, c);
	if (text != NULL)
		sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_fail(d, sql);
}

/* The mailbox takes the source's UIDVALIDITY; the user's last one is
 * raised with it, so that a later creation still picks a greater one. */
static int
set_uidvalidity(struct udb *d, struct mbox *mb, uint32_t uidv)
{
	int rc = exec_once(d, "UPDATE mailboxes SET uidvalidity=?1 WHERE id=?2",
	    uidv, mb->id, 0, NULL);
	if (rc == 0)
		rc = exec_once(d, "UPDATE meta SET v=max(v, ?1) WHERE k=?4",
		    uidv, 0, 0, "uidv_last");
	if (rc == 0)
		mb->uidvalidity = uidv;
	return rc;
}

/* Find or make the mailbox; *keep: the source's UIDs may go in. */
static int
import_target(struct req *r, const char *norm, uint32_t uidv, uint32_t flags,
    struct mbox *mb, bool *keep)
{
	int rc = mailbox_by_name(r->d, norm, mb);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		int64_t id;
		uint32_t v;
		if ((rc = insert_mailbox(r->d, norm, 0, db_next_modseq(r->d),
		    &id, &v)) < 0 || (rc = mailbox_by_id(r->d, id, mb)) != 0)
			return rc < 0 ? rc : -IPC_ERR_INTERNAL;
	}
	*keep = true;
	if (uidv == 0 || uidv == mb->uidvalidity)
		return 0;
	/* a mailbox that never held a message has no UID a client knows */
	if (mb->uidnext == 1)
		return set_uidvalidity(r->d, mb, uidv);
	if (flags & STORE_IMPORT_NEW_UIDVALIDITY) {
		*keep = false;
		return 0;
	}
	return req_fail(r, IPC_ERR_CONFLICT, "mailbox %s has UIDVALIDITY %u, "
	    "the source %u: its UIDs cannot be kept (import it with new "
	    "UIDs, or into an empty mailbox)", norm, mb->uidvalidity, uidv);
}

/* str user, str name, u32 uidvalidity (0: any), u32 uidnext (0: leave),
 * u32 special-use, u32 flags -> u64 id, u32 uidvalidity, u32 uidnext,
 * u32 keep (1: the source's UIDs go in as they are). */
int
h_adm_import_mbox(struct req *r)
{
	const char *name;
	size_t len;
	uint32_t uidv, uidnext, use, flags;
	char norm[STORE_MBOX_NAME_MAX + 1];
	int rc = adm_user(r);
	if (rc < 0)
		return rc;
	ipc_get_strp(&r->c, &name, &len, STORE_MBOX_NAME_MAX);
	ipc_get_u32(&r->c, &uidv);
	ipc_get_u32(&r->c, &uidnext);
	ipc_get_u32(&r->c, &use);
	ipc_get_u32(&r->c, &flags);
	if ((rc = req_end_of_fields(r)) < 0)
		return rc;
	if ((use & ~STORE_USE_MASK) != 0 || (flags & ~STORE_IMPORT_FLAGS_ALL))
		return req_fail(r, IPC_ERR_MALFORMED, "unknown bits");
	if (mailbox_norm(name, len, norm) < 0)
		return req_fail(r, IPC_ERR_DENIED, "invalid mailbox name");
	struct mbox mb;
	bool keep;
	if ((rc = req_db(r)) < 0 ||
	    (rc = import_target(r, norm, uidv, flags, &mb, &keep)) < 0)
		return rc;
	if (use != 0 && mb.use == 0 && (rc = exec_once(r->d,
	    "UPDATE mailboxes SET use=?1, modseq=?2 WHERE id=?3", use,
	    (int64_t)db_next_modseq(r->d), mb.id, NULL)) < 0)
		return rc;
	if ((flags & STORE_IMPORT_SUBSCRIBE) && (rc = exec_once(r->d,
	    "INSERT OR IGNORE INTO subs(name) VALUES(?4)", 0, 0, 0, norm)) < 0)
		return rc;
	uint32_t first;
	if (keep && uidnext > mb.uidnext && uidnext < UINT32_MAX) {
		mb.uidnext = uidnext;
		if ((rc = mailbox_take_uids(r->d, &mb, 0, &first)) < 0)
			return rc;
	}
	notify_changed(r->d, mb.id, r->ch);
	ipc_put_u64(r->rb, (uint64_t)mb.id);
	ipc_put_u32(r->rb, mb.uidvalidity);
	ipc_put_u32(r->rb, mb.uidnext);
	ipc_put_u32(r->rb, keep ? 1 : 0);
	return 0;
}

/* str user, u64 mailbox, u32 n, n x (u32 uid, u64 size, u32 metalen);
 * fd: each message followed by its metadata, back to back -> u32 n,
 * n x u32 uid. One transaction: all of them or none. */
int
h_adm_import_append(struct req *r)
{
	static struct append_at at[STORE_IMPORT_BATCH_MAX];
	uint64_t id, off = 0;
	uint32_t n;
	int rc = adm_user(r);
	if (rc < 0)
		return rc;
	ipc_get_u64(&r->c, &id);
	ipc_get_u32(&r->c, &n);
	if (r->c.failed || n == 0 || n > STORE_IMPORT_BATCH_MAX)
		return req_fail(r, IPC_ERR_MALFORMED, "1 to %u messages a batch",
		    STORE_IMPORT_BATCH_MAX);
	for (uint32_t i = 0; i < n; i++) {
		at[i] = (struct append_at){ .off = off, .batch = true };
		ipc_get_u32(&r->c, &at[i].uid);
		ipc_get_u64(&r->c, &at[i].size);
		ipc_get_u32(&r->c, &at[i].metalen);
		if (at[i].size > STORE_MSG_MAX)
			return req_fail(r, IPC_ERR_LIMIT, "message too large");
		off += at[i].size + at[i].metalen;
	}
	struct stat sb;
	if ((rc = req_end_of_fields(r)) < 0)
		return rc;
	if (fstat(r->fd, &sb) < 0 || (uint64_t)sb.st_size != off)
		return req_fail(r, IPC_ERR_MALFORMED, "the fd is not the batch");
	struct mbox mb;
	struct append_done done;
	if ((rc = req_db(r)) < 0 || (rc = mailbox_ref(r, id, NULL, 0, &mb)) < 0)
		return rc;
	ipc_put_u32(r->rb, n);
	for (uint32_t i = 0; i < n; i++) {
		if ((rc = message_append_at(r, &mb, &at[i], &done)) < 0)
			return rc;
		ipc_put_u32(r->rb, done.uid);
	}
	return 0;
}

/* One message of a list: u32 uid, u32 flags, u64 internaldate, u64 size,
 * bytes hash, u32 n, n x str keyword. */
static void
put_listed(struct req *r, sqlite3_stmt *st)
{
	req_item(r);
	ipc_put_u32(r->rb, (uint32_t)sqlite3_column_int64(st, 0));
	ipc_put_u32(r->rb, (uint32_t)sqlite3_column_int64(st, 1));
	ipc_put_u64(r->rb, (uint64_t)sqlite3_column_int64(st, 3));
	ipc_put_u64(r->rb, (uint64_t)sqlite3_column_int64(st, 4));
	const void *h = sqlite3_column_blob(st, 5);
	int hl = sqlite3_column_bytes(st, 5);
	ipc_put_bytes(r->rb, h, h != NULL && hl == STORE_BLOBID_LEN ?
	    STORE_BLOBID_LEN : 0);
	uint64_t kw = (uint64_t)sqlite3_column_int64(st, 2);
	uint32_t nkw = 0;
	for (unsigned b = 0; b < r->d->nkw; b++)
		nkw += (kw >> b) & 1;
	ipc_put_u32(r->rb, nkw);
	for (unsigned b = 0; b < r->d->nkw; b++)
		if ((kw >> b) & 1)
			ipc_put_str(r->rb, r->d->kw[b]);
}

/* str user, str name -> stream of messages in UID order; trailer: u64 id,
 * u32 uidvalidity, u32 uidnext. */
int
h_adm_msg_list(struct req *r)
{
	const char *name;
	size_t len;
	struct mbox mb;
	int rc = adm_user(r);
	if (rc < 0)
		return rc;
	ipc_get_strp(&r->c, &name, &len, STORE_MBOX_NAME_MAX);
	if ((rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0 ||
	    (rc = mailbox_ref(r, 0, name, len, &mb)) < 0)
		return rc;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->d->db, "SELECT m.uid, m.flags, m.kw,"
	    " m.internaldate, b.size, b.hash FROM msgs m JOIN blob b"
	    " ON b.id=m.blob WHERE m.mailbox=? ORDER BY m.uid", -1, &st,
	    NULL) != SQLITE_OK)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, mb.id);
	req_reply_stream(r);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		put_listed(r, st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(r->d, "message list");
	req_end(r);
	ipc_put_u64(r->rb, (uint64_t)mb.id);
	ipc_put_u32(r->rb, mb.uidvalidity);
	ipc_put_u32(r->rb, mb.uidnext);
	return 0;
}

/* str user, u64 mailbox, u32 uid -> u64 size, bytes hash; fd: the file. */
int
h_adm_body(struct req *r)
{
	uint64_t id;
	uint32_t uid;
	int rc = adm_user(r);
	if (rc < 0)
		return rc;
	ipc_get_u64(&r->c, &id);
	ipc_get_u32(&r->c, &uid);
	if ((rc = req_end_of_fields(r)) < 0)
		return rc;
	return message_body(r, id, uid);
}
