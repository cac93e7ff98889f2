/* mailbox: names, hierarchy, counters, subscriptions (see mailbox.h). */
#include "mailbox.h"
#include "buf.h"
#include "request.h"
#include "db.h"
#include "delivery.h"
#include "ipc.h"
#include "log.h"
#include "message.h"
#include "notify.h"
#include "user.h"
#include "handlers.h"
#include "wire.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MBOX_COLS "id, name, uidvalidity, uidnext, modseq, created_modseq, " \
	"use, messages, unseen, deleted, size, first_recent, detail"

int64_t
mailbox_emailid(const uint8_t hash[32])
{
	return msgfile_emailid(hash);
}

static const struct {
	const char *name;
	uint32_t bit;
} use_names[] = {
	{ "archive", STORE_USE_ARCHIVE }, { "drafts", STORE_USE_DRAFTS },
	{ "junk", STORE_USE_JUNK }, { "sent", STORE_USE_SENT },
	{ "trash", STORE_USE_TRASH }, { "all", STORE_USE_ALL },
	{ "flagged", STORE_USE_FLAGGED }, { "important", STORE_USE_IMPORTANT },
	{ "snoozed", STORE_USE_SNOOZED },
};

uint32_t
mailbox_use_bit(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(use_names) / sizeof(use_names[0]); i++)
		if (strlen(use_names[i].name) == len &&
		    strncasecmp(use_names[i].name, name, len) == 0)
			return use_names[i].bit;
	return 0;
}

int
mailbox_norm(const char *name, size_t len, char out[STORE_MBOX_NAME_MAX + 1])
{
	if (len == 0 || len > STORE_MBOX_NAME_MAX || name[0] == '/' ||
	    name[len - 1] == '/')
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];
		/* control bytes, and IMAP's wildcards, which LIST could not
		 * tell from a pattern */
		if (ch < 0x20 || ch == 0x7f || ch == '*' || ch == '%')
			return -1;
		if (ch == '/' && name[i + 1] == '/')
			return -1;
	}
	memcpy(out, name, len);
	out[len] = '\0';
	if (len >= 5 && strncasecmp(out, "INBOX", 5) == 0 &&
	    (len == 5 || out[5] == '/'))
		memcpy(out, "INBOX", 5);
	return 0;
}

static void
row_to_mbox(sqlite3_stmt *st, struct mbox *mb)
{
	const char *n = (const char *)sqlite3_column_text(st, 1);
	mb->id = sqlite3_column_int64(st, 0);
	buf_strlcpy(mb->name, sizeof(mb->name), n ? n : "", n ? strlen(n) : 0);
	mb->uidvalidity = (uint32_t)sqlite3_column_int64(st, 2);
	mb->uidnext = (uint32_t)sqlite3_column_int64(st, 3);
	mb->modseq = (uint64_t)sqlite3_column_int64(st, 4);
	mb->created_modseq = (uint64_t)sqlite3_column_int64(st, 5);
	mb->use = (uint32_t)sqlite3_column_int64(st, 6);
	mb->messages = (uint32_t)sqlite3_column_int64(st, 7);
	mb->unseen = (uint32_t)sqlite3_column_int64(st, 8);
	mb->deleted = (uint32_t)sqlite3_column_int64(st, 9);
	mb->size = (uint64_t)sqlite3_column_int64(st, 10);
	mb->first_recent = (uint32_t)sqlite3_column_int64(st, 11);
	mb->detail = (uint32_t)sqlite3_column_int64(st, 12);
	mb->recent = 0;
}

static int
one_row(struct udb *d, sqlite3_stmt *st, struct mbox *mb)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_to_mbox(st, mb);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	return db_fail(d, "mailbox lookup");
}

int
mailbox_by_name(struct udb *d, const char *norm, struct mbox *mb)
{
	sqlite3_stmt *st = db_stmt(d, ST_MBOX_BY_NAME,
	    "SELECT " MBOX_COLS " FROM mailboxes WHERE name=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_text(st, 1, norm, -1, SQLITE_STATIC);
	return one_row(d, st, mb);
}

int
mailbox_by_id(struct udb *d, int64_t id, struct mbox *mb)
{
	sqlite3_stmt *st = db_stmt(d, ST_MBOX_BY_ID,
	    "SELECT " MBOX_COLS " FROM mailboxes WHERE id=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, id);
	return one_row(d, st, mb);
}

int
mailbox_ref(struct req *r, uint64_t id, const char *name, size_t len,
    struct mbox *mb)
{
	char norm[STORE_MBOX_NAME_MAX + 1];
	int rc;
	if (id != 0) {
		if (id > INT64_MAX)
			return req_fail(r, IPC_ERR_NOTFOUND, "no such mailbox");
		rc = mailbox_by_id(r->d, (int64_t)id, mb);
	} else {
		if (mailbox_norm(name, len, norm) < 0)
			return req_fail(r, IPC_ERR_NOTFOUND, "no such mailbox");
		rc = mailbox_by_name(r->d, norm, mb);
	}
	if (rc == 1)
		return req_fail(r, IPC_ERR_NOTFOUND, "no such mailbox");
	return rc;
}

int
mailbox_count_recent(struct udb *d, struct mbox *mb)
{
	mb->recent = 0;
	if (mb->first_recent >= mb->uidnext)
		return 0;
	sqlite3_stmt *st = db_stmt(d, ST_MBOX_RECENT_COUNT,
	    "SELECT count(*) FROM msgs WHERE mailbox=? AND uid>=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, mb->id);
	sqlite3_bind_int64(st, 2, mb->first_recent);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		mb->recent = (uint32_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : db_fail(d, "recent count");
}

int
mailbox_count(struct udb *d, int64_t id, int64_t dmessages, int64_t dunseen,
    int64_t ddeleted, int64_t dsize, uint64_t modseq)
{
	sqlite3_stmt *st = db_stmt(d, ST_MBOX_COUNTERS,
	    "UPDATE mailboxes SET messages=messages+?1, unseen=unseen+?2,"
	    " deleted=deleted+?3, size=size+?4, modseq=max(modseq, ?5)"
	    " WHERE id=?6");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, dmessages);
	sqlite3_bind_int64(st, 2, dunseen);
	sqlite3_bind_int64(st, 3, ddeleted);
	sqlite3_bind_int64(st, 4, dsize);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)modseq);
	sqlite3_bind_int64(st, 6, id);
	if (db_exec(st) < 0)
		return db_fail(d, "mailbox counters");
	return 0;
}

int
mailbox_take_uids(struct udb *d, struct mbox *mb, uint32_t n, uint32_t *first)
{
	if ((uint64_t)mb->uidnext + n >= UINT32_MAX)
		return -IPC_ERR_LIMIT;
	*first = mb->uidnext;
	mb->uidnext += n;
	sqlite3_stmt *st = db_stmt(d, ST_MBOX_UIDNEXT,
	    "UPDATE mailboxes SET uidnext=? WHERE id=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, mb->uidnext);
	sqlite3_bind_int64(st, 2, mb->id);
	if (db_exec(st) < 0)
		return db_fail(d, "uidnext");
	return 0;
}

/* UIDVALIDITY: the creation second, and always greater than any value this
 * user has seen, so that a re-created name never repeats one. */
static int
next_uidvalidity(struct udb *d, uint32_t *out)
{
	sqlite3_stmt *st = db_stmt(d, ST_META_GET, "SELECT v FROM meta WHERE k=?");
	uint64_t last = 0;
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_text(st, 1, "uidv_last", -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		last = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	uint64_t v = (uint64_t)time(NULL);
	if (v <= last)
		v = last + 1;
	if (v > UINT32_MAX)
		v = 1;      /* 2106: wrap; the re-created name check still holds */
	st = db_stmt(d, ST_META_SET, "UPDATE meta SET v=? WHERE k=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)v);
	sqlite3_bind_text(st, 2, "uidv_last", -1, SQLITE_STATIC);
	if (db_exec(st) < 0)
		return db_fail(d, "uidv_last");
	*out = (uint32_t)v;
	return 0;
}

int
insert_mailbox(struct udb *d, const char *norm, uint32_t use, uint64_t modseq,
    int64_t *id, uint32_t *uidv)
{
	int rc = next_uidvalidity(d, uidv);
	if (rc < 0)
		return rc;
	sqlite3_stmt *st = db_stmt(d, ST_MBOX_INSERT,
	    "INSERT INTO mailboxes(name, uidvalidity, uidnext, modseq,"
	    " created_modseq, use) VALUES(?, ?, 1, ?, ?, ?)");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_text(st, 1, norm, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, *uidv);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)modseq);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)modseq);
	sqlite3_bind_int64(st, 5, use & STORE_USE_MASK);
	if (db_exec(st) < 0)
		return db_fail(d, "insert mailbox");
	*id = sqlite3_last_insert_rowid(d->db);
	return 0;
}

int
mailbox_ensure_inbox(struct udb *d)
{
	struct mbox mb;
	int rc = mailbox_by_name(d, "INBOX", &mb);
	if (rc <= 0)
		return rc;
	/* outside the turn's machinery: called right after the open */
	int64_t id;
	uint32_t uidv;
	if (sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(d, "begin");
	d->modseq++;
	sqlite3_stmt *st = db_stmt(d, ST_META_SET, "UPDATE meta SET v=? WHERE k=?");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)d->modseq);
		sqlite3_bind_text(st, 2, "modseq", -1, SQLITE_STATIC);
	}
	if (st == NULL || db_exec(st) < 0 ||
	    insert_mailbox(d, "INBOX", 0, d->modseq, &id, &uidv) < 0 ||
	    sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
		return db_fail(d, "creating INBOX");
	}
	return 0;
}

int
mailbox_create(struct req *r, const char *name, size_t len, uint32_t use)
{
	char norm[STORE_MBOX_NAME_MAX + 1];
	struct mbox mb;
	if ((use & ~STORE_USE_MASK) != 0)
		return req_fail(r, IPC_ERR_MALFORMED, "unknown special-use bits");
	if (mailbox_norm(name, len, norm) < 0)
		return req_fail(r, IPC_ERR_DENIED, "invalid mailbox name");
	int rc = mailbox_by_name(r->d, norm, &mb);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return req_fail(r, IPC_ERR_EXISTS, "mailbox exists");
	int64_t id;
	uint32_t uidv;
	uint64_t modseq = db_next_modseq(r->d);
	if ((rc = insert_mailbox(r->d, norm, use, modseq, &id, &uidv)) < 0)
		return rc;
	notify_changed(r->d, id, r->ch);
	ipc_put_u64(r->rb, (uint64_t)id);
	ipc_put_u32(r->rb, uidv);
	return 0;
}

int
mailbox_delete(struct req *r, const char *name, size_t len)
{
	char norm[STORE_MBOX_NAME_MAX + 1];
	struct mbox mb;
	if (mailbox_norm(name, len, norm) < 0)
		return req_fail(r, IPC_ERR_NOTFOUND, "no such mailbox");
	if (strcmp(norm, "INBOX") == 0)
		return req_fail(r, IPC_ERR_DENIED, "INBOX cannot be deleted");
	int rc = mailbox_by_name(r->d, norm, &mb);
	if (rc == 1)
		return req_fail(r, IPC_ERR_NOTFOUND, "no such mailbox");
	if (rc < 0)
		return rc;
	uint64_t modseq = db_next_modseq(r->d);
	if ((rc = message_expunge(r->d, &mb, NULL, false, modseq, NULL)) < 0)
		return rc;
	sqlite3_stmt *st = db_stmt(r->d, ST_MBOX_DELETE,
	    "DELETE FROM mailboxes WHERE id=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, mb.id);
	if (db_exec(st) < 0)
		return db_fail(r->d, "delete mailbox");
	st = db_stmt(r->d, ST_MBOX_TOMB,
	    "INSERT OR REPLACE INTO mailbox_tomb(id, modseq) VALUES(?, ?)");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, mb.id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)modseq);
	if (db_exec(st) < 0)
		return db_fail(r->d, "mailbox tombstone");
	notify_changed(r->d, mb.id, r->ch);
	return 0;
}

static int
rename_inbox(struct req *r, struct mbox *inbox, const char *to)
{
	/* RFC 9051 6.3.6: INBOX's messages move to a new mailbox; INBOX
	 * stays, empty; its children are not affected. UIDs keep their
	 * values in the new mailbox (it is new: a fresh UIDVALIDITY). */
	int64_t id;
	uint32_t uidv;
	uint64_t modseq = db_next_modseq(r->d);
	int rc = insert_mailbox(r->d, to, inbox->use, modseq, &id, &uidv);
	if (rc < 0)
		return rc;
	sqlite3_stmt *st = db_stmt(r->d, ST_TOMB_ALL_IN,
	    "INSERT OR REPLACE INTO tomb(mailbox, uid, modseq, emailid,"
	    " created_modseq) SELECT m.mailbox, m.uid, ?2, b.emailid,"
	    " m.created_modseq FROM msgs m"
	    " JOIN blob b ON b.id=m.blob WHERE m.mailbox=?1");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, inbox->id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)modseq);
	if (db_exec(st) < 0)
		return db_fail(r->d, "tombstones");
	st = db_stmt(r->d, ST_MSG_MOVE_ALL,
	    "UPDATE msgs SET mailbox=?2, modseq=?3 WHERE mailbox=?1");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, inbox->id);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)modseq);
	if (db_exec(st) < 0)
		return db_fail(r->d, "move messages");
	struct mbox nb;
	if ((rc = mailbox_by_id(r->d, id, &nb)) != 0)
		return rc < 0 ? rc : -IPC_ERR_INTERNAL;
	nb.uidnext = inbox->uidnext;
	uint32_t dummy;
	if ((rc = mailbox_take_uids(r->d, &nb, 0, &dummy)) < 0 ||
	    (rc = mailbox_count(r->d, id, inbox->messages, inbox->unseen,
	    inbox->deleted, (int64_t)inbox->size, modseq)) < 0 ||
	    (rc = mailbox_count(r->d, inbox->id, -(int64_t)inbox->messages,
	    -(int64_t)inbox->unseen, -(int64_t)inbox->deleted,
	    -(int64_t)inbox->size, modseq)) < 0)
		return rc;
	notify_changed(r->d, inbox->id, r->ch);
	notify_changed(r->d, id, r->ch);
	return 0;
}

int
mailbox_rename(struct req *r, const char *from, size_t flen, const char *to,
    size_t tlen)
{
	char nf[STORE_MBOX_NAME_MAX + 1], nt[STORE_MBOX_NAME_MAX + 1];
	struct mbox mb, other;
	if (mailbox_norm(from, flen, nf) < 0)
		return req_fail(r, IPC_ERR_NOTFOUND, "no such mailbox");
	if (mailbox_norm(to, tlen, nt) < 0)
		return req_fail(r, IPC_ERR_DENIED, "invalid mailbox name");
	int rc = mailbox_by_name(r->d, nf, &mb);
	if (rc == 1)
		return req_fail(r, IPC_ERR_NOTFOUND, "no such mailbox");
	if (rc < 0)
		return rc;
	if ((rc = mailbox_by_name(r->d, nt, &other)) <= 0)
		return rc < 0 ? rc : req_fail(r, IPC_ERR_EXISTS, "mailbox exists");
	if (strcmp(nf, "INBOX") == 0)
		return rename_inbox(r, &mb, nt);
	size_t fl = strlen(nf), tl = strlen(nt);
	if (tl > fl && strncmp(nt, nf, fl) == 0 && nt[fl] == '/')
		return req_fail(r, IPC_ERR_DENIED, "cannot move a mailbox into itself");
	if (strcmp(nt, "INBOX") == 0 || strncmp(nt, "INBOX/", 6) == 0) {
		/* allowed for children of INBOX, not for INBOX itself */
		if (strcmp(nt, "INBOX") == 0)
			return req_fail(r, IPC_ERR_EXISTS, "mailbox exists");
	}

	/* the subtree: from itself and every name under "from/" */
	sqlite3_stmt *st = db_stmt(r->d, ST_MBOX_SUBTREE,
	    "SELECT id, name FROM mailboxes WHERE name=?1 OR"
	    " (substr(name, 1, ?2)=?1 || '/') ORDER BY name");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_text(st, 1, nf, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)fl + 1);
	struct {
		int64_t id;
		char name[STORE_MBOX_NAME_MAX + 1];
	} *sub = NULL;
	size_t nsub = 0, cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 1);
		size_t nl = strlen(n);
		if (nl - fl + tl > STORE_MBOX_NAME_MAX) {
			rc = -1;
			break;
		}
		if (nsub == cap) {
			cap = cap ? cap * 2 : 8;
			void *ns = realloc(sub, cap * sizeof(*sub));
			if (ns == NULL) {
				rc = -2;
				break;
			}
			sub = ns;
		}
		sub[nsub].id = sqlite3_column_int64(st, 0);
		memcpy(sub[nsub].name, nt, tl);
		memcpy(sub[nsub].name + tl, n + fl, nl - fl + 1);
		nsub++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(sub);
		return rc == -1 ? req_fail(r, IPC_ERR_LIMIT, "name too long")
		    : db_fail(r->d, "subtree");
	}
	uint64_t modseq = db_next_modseq(r->d);
	rc = 0;
	for (size_t i = 0; i < nsub && rc == 0; i++) {
		if ((rc = mailbox_by_name(r->d, sub[i].name, &other)) == 0) {
			rc = req_fail(r, IPC_ERR_EXISTS, "%s exists", sub[i].name);
			break;
		}
		if (rc < 0)
			break;
		st = db_stmt(r->d, ST_MBOX_RENAME_SUB,
		    "UPDATE mailboxes SET name=?, modseq=? WHERE id=?");
		if (st == NULL) {
			rc = db_fail(r->d, "prepare");
			break;
		}
		sqlite3_bind_text(st, 1, sub[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)modseq);
		sqlite3_bind_int64(st, 3, sub[i].id);
		rc = db_exec(st) < 0 ? db_fail(r->d, "rename") : 0;
		if (rc == 0)
			notify_changed(r->d, sub[i].id, r->ch);
	}
	free(sub);
	if (rc < 0)
		return rc;
	/* subscriptions follow the subtree */
	st = db_stmt(r->d, ST_SUB_RENAME,
	    "UPDATE OR REPLACE subs SET name=?3 || substr(name, ?2 + 1)"
	    " WHERE name=?1 OR substr(name, 1, ?2 + 1)=?1 || '/'");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_text(st, 1, nf, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)fl);
	sqlite3_bind_text(st, 3, nt, -1, SQLITE_STATIC);
	if (db_exec(st) < 0)
		return db_fail(r->d, "rename subscriptions");
	return 0;
}

void
mailbox_put_status(struct buf *b, const struct mbox *mb, uint32_t attrs)
{
	ipc_put_u64(b, (uint64_t)mb->id);
	ipc_put_u32(b, attrs);
	ipc_put_u32(b, mb->uidvalidity);
	ipc_put_u32(b, mb->uidnext);
	ipc_put_u32(b, mb->messages);
	ipc_put_u32(b, mb->unseen);
	ipc_put_u32(b, mb->deleted);
	ipc_put_u32(b, mb->recent);
	ipc_put_u64(b, mb->size);
	ipc_put_u64(b, mb->modseq);
}

/* ---- LIST --------------------------------------------------------------- */

struct lent {
	char *name;
	uint32_t attrs;
	struct mbox *mb;      /* NULL: implied parent or subscription only */
};

struct lst {
	struct lent *e;
	size_t n, cap;
	struct mbox *mbs;
	size_t nmb, capmb;
};

static int
cmp_lent(const void *a, const void *b)
{
	return strcmp(((const struct lent *)a)->name, ((const struct lent *)b)->name);
}

static struct lent *
lfind(struct lst *l, const char *name)
{
	struct lent key = { .name = (char *)name };
	return bsearch(&key, l->e, l->n, sizeof(l->e[0]), cmp_lent);
}

static int
ladd(struct lst *l, const char *name, size_t len, uint32_t attrs,
    struct mbox *mb)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		void *ne = realloc(l->e, ncap * sizeof(l->e[0]));
		if (ne == NULL)
			return -1;
		l->e = ne;
		l->cap = ncap;
	}
	char *n = malloc(len + 1);
	if (n == NULL)
		return -1;
	memcpy(n, name, len);
	n[len] = '\0';
	l->e[l->n++] = (struct lent){ n, attrs, mb };
	return 0;
}

static void
lfree(struct lst *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->e[i].name);
	free(l->e);
	free(l->mbs);
}

/* Sort and merge entries of the same name (attributes or'ed, a real
 * mailbox wins over an implied one). */
static void
lsort(struct lst *l)
{
	qsort(l->e, l->n, sizeof(l->e[0]), cmp_lent);
	size_t w = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (w > 0 && strcmp(l->e[w - 1].name, l->e[i].name) == 0) {
			struct lent *a = &l->e[w - 1];
			if (l->e[i].mb != NULL) {
				a->attrs = (a->attrs & ~(STORE_MBOX_NONEXISTENT |
				    STORE_MBOX_NOSELECT)) | l->e[i].attrs;
				a->mb = l->e[i].mb;
			} else if (a->mb == NULL) {
				a->attrs |= l->e[i].attrs;
			} else {
				a->attrs |= l->e[i].attrs & STORE_MBOX_SUBSCRIBED;
			}
			free(l->e[i].name);
			continue;
		}
		l->e[w++] = l->e[i];
	}
	l->n = w;
}

int
mailbox_list(struct req *r, uint32_t flags)
{
	struct lst l = { 0 };
	int rc = 0;
	sqlite3_stmt *st = db_stmt(r->d, ST_MBOX_LIST,
	    "SELECT " MBOX_COLS " FROM mailboxes ORDER BY name");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (l.nmb == l.capmb) {
			size_t ncap = l.capmb ? l.capmb * 2 : 32;
			void *nm = realloc(l.mbs, ncap * sizeof(l.mbs[0]));
			if (nm == NULL)
				break;
			l.mbs = nm;
			l.capmb = ncap;
		}
		row_to_mbox(st, &l.mbs[l.nmb++]);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		lfree(&l);
		return db_fail(r->d, "list");
	}
	/* real mailboxes, and the implied parents of each */
	for (size_t i = 0; i < l.nmb && rc == SQLITE_DONE; i++) {
		const char *n = l.mbs[i].name;
		if (ladd(&l, n, strlen(n), l.mbs[i].use | (delivery_takes_detail(
		    &l.mbs[i]) ? STORE_MBOX_DETAIL : 0), &l.mbs[i]) < 0)
			rc = -1;
		for (const char *p = strchr(n, '/'); p != NULL && rc == SQLITE_DONE;
		    p = strchr(p + 1, '/'))
			if (ladd(&l, n, (size_t)(p - n), STORE_MBOX_NONEXISTENT |
			    STORE_MBOX_NOSELECT, NULL) < 0)
				rc = -1;
	}
	lsort(&l);
	/* children: every entry marks its parent */
	for (size_t i = 0; i < l.n; i++) {
		char parent[STORE_MBOX_NAME_MAX + 1];
		const char *slash = strrchr(l.e[i].name, '/');
		if (slash == NULL)
			continue;
		memcpy(parent, l.e[i].name, (size_t)(slash - l.e[i].name));
		parent[slash - l.e[i].name] = '\0';
		struct lent *p = lfind(&l, parent);
		if (p != NULL)
			p->attrs |= STORE_MBOX_HASCHILDREN;
	}
	size_t nreal = l.n;
	/* subscriptions: mark, and add names that do not exist */
	st = rc == SQLITE_DONE ? db_stmt(r->d, ST_SUB_LIST,
	    "SELECT name FROM subs") : NULL;
	if (st == NULL)
		rc = -1;
	while (st != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 0);
		struct lent key = { .name = (char *)n };
		struct lent *e = bsearch(&key, l.e, nreal, sizeof(l.e[0]), cmp_lent);
		if (e != NULL)
			e->attrs |= STORE_MBOX_SUBSCRIBED;
		else if ((flags & STORE_LIST_SUBSCRIBED) &&
		    ladd(&l, n, strlen(n), STORE_MBOX_SUBSCRIBED |
		    STORE_MBOX_NONEXISTENT | STORE_MBOX_NOSELECT, NULL) < 0) {
			rc = -1;
			break;
		}
	}
	if (st != NULL)
		sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		lfree(&l);
		return db_fail(r->d, "list");
	}
	if (l.n > nreal)
		lsort(&l);
	req_reply_stream(r);
	static const struct mbox none;
	for (size_t i = 0; i < l.n; i++) {
		struct lent *e = &l.e[i];
		if (!(e->attrs & STORE_MBOX_HASCHILDREN))
			e->attrs |= STORE_MBOX_HASNOCHILDREN;
		req_item(r);
		ipc_put_str(r->rb, e->name);
		struct mbox tmp = e->mb ? *e->mb : none;
		if (!(flags & STORE_LIST_STATUS) && e->mb) {
			/* ids and UIDVALIDITY always; counters on request */
			tmp.messages = tmp.unseen = tmp.deleted = 0;
			tmp.size = 0;
		} else if (e->mb && mailbox_count_recent(r->d, &tmp) < 0) {
			lfree(&l);
			return -1;
		}
		mailbox_put_status(r->rb, &tmp, e->attrs);
	}
	req_end(r);
	lfree(&l);
	return 0;
}

int
mailbox_autocreate(struct req *r, const char *spec)
{
	const char *p = spec;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		const char *w = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		const char *eq = memchr(w, '=', (size_t)(p - w));
		size_t nlen = eq ? (size_t)(eq - w) : (size_t)(p - w);
		uint32_t use = 0;
		if (eq != NULL)
			use = mailbox_use_bit(eq + 1, (size_t)(p - eq - 1));
		char norm[STORE_MBOX_NAME_MAX + 1];
		struct mbox mb;
		if (mailbox_norm(w, nlen, norm) < 0)
			return req_fail(r, IPC_ERR_INTERNAL, "bad autocreate name");
		int rc = mailbox_by_name(r->d, norm, &mb);
		if (rc < 0)
			return rc;
		if (rc == 1) {      /* INBOX exists already */
			int64_t id;
			uint32_t uidv;
			uint64_t modseq = db_next_modseq(r->d);
			if ((rc = insert_mailbox(r->d, norm, use, modseq, &id,
			    &uidv)) < 0)
				return rc;
		}
		/* the default mailboxes start subscribed, as clients expect */
		sqlite3_stmt *st = db_stmt(r->d, ST_SUB_ADD,
		    "INSERT OR IGNORE INTO subs(name) VALUES(?)");
		if (st == NULL)
			return db_fail(r->d, "prepare");
		sqlite3_bind_text(st, 1, norm, -1, SQLITE_STATIC);
		if (db_exec(st) < 0)
			return db_fail(r->d, "subscribe");
	}
	return 0;
}

/* ---- requests -------------------------------------------------------------------- */

int
h_mbox_list(struct req *r)
{
	uint32_t flags;
	ipc_get_u32(&r->c, &flags);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	return mailbox_list(r, flags);
}

int
h_mbox_create(struct req *r)
{
	const char *name;
	size_t len;
	uint32_t use;
	ipc_get_strp(&r->c, &name, &len, STORE_MBOX_NAME_MAX);
	ipc_get_u32(&r->c, &use);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	return mailbox_create(r, name, len, use);
}

int
h_mbox_delete(struct req *r)
{
	const char *name;
	size_t len;
	ipc_get_strp(&r->c, &name, &len, STORE_MBOX_NAME_MAX);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	return mailbox_delete(r, name, len);
}

int
h_mbox_rename(struct req *r)
{
	const char *from, *to;
	size_t fl, tl;
	ipc_get_strp(&r->c, &from, &fl, STORE_MBOX_NAME_MAX);
	ipc_get_strp(&r->c, &to, &tl, STORE_MBOX_NAME_MAX);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	return mailbox_rename(r, from, fl, to, tl);
}

/* A subscription changed: the mailbox of that name (if any) takes a new
 * modseq, as JMAP's isSubscribed is one of its properties. */
static int
subscription_changed(struct req *r, const char *norm)
{
	uint64_t modseq = db_next_modseq(r->d);
	sqlite3_stmt *st = db_stmt(r->d, ST_MBOX_SUB_TOUCH,
	    "UPDATE mailboxes SET modseq=? WHERE name=? RETURNING id");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)modseq);
	sqlite3_bind_text(st, 2, norm, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(r->d, "subscription modseq");
	if (id == 0)
		return db_give_back_modseq(r->d, modseq);
	notify_changed(r->d, id, r->ch);
	return 0;
}

int
h_mbox_subscribe(struct req *r)
{
	const char *name;
	size_t len;
	uint32_t on;
	char norm[STORE_MBOX_NAME_MAX + 1];
	ipc_get_strp(&r->c, &name, &len, STORE_MBOX_NAME_MAX);
	ipc_get_u32(&r->c, &on);
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if (on > 1)
		return req_fail(r, IPC_ERR_MALFORMED, "on is 0 or 1");
	if (mailbox_norm(name, len, norm) < 0)
		return req_fail(r, IPC_ERR_DENIED, "invalid mailbox name");
	if ((rc = req_db(r)) < 0)
		return rc;
	sqlite3_stmt *st = on ? db_stmt(r->d, ST_SUB_ADD,
	    "INSERT OR IGNORE INTO subs(name) VALUES(?)") :
	    db_stmt(r->d, ST_SUB_DEL, "DELETE FROM subs WHERE name=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_text(st, 1, norm, -1, SQLITE_STATIC);
	if (db_exec(st) < 0)
		return db_fail(r->d, "subscribe");
	return sqlite3_changes(r->d->db) > 0 ? subscription_changed(r, norm) : 0;
}

int
h_mbox_status(struct req *r)
{
	uint64_t id;
	const char *name;
	size_t len;
	struct mbox mb;
	wire_get_mbox_ref(&r->c, &id, &name, &len);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0 ||
	    (rc = mailbox_ref(r, id, name, len, &mb)) < 0 ||
	    (rc = mailbox_count_recent(r->d, &mb)) < 0)
		return rc;
	mailbox_put_status(r->rb, &mb, mb.use | (delivery_takes_detail(&mb) ?
	    STORE_MBOX_DETAIL : 0));
	return 0;
}

/* \Recent (IMAP4rev1): the UIDs from first_recent to UIDNEXT - 1 are
 * recent for the session that claims them — a read-write SELECT, or a
 * selected read-write session when new messages arrive — and for no other
 * session after it. claim 0 only looks (EXAMINE). Replies u32 lo, u32 hi;
 * lo > hi when nothing is recent. A read unless there is something to
 * take; during a freeze nothing is taken (a SELECT must not wait for a
 * backup), so those messages stay recent for a session after it. */
int
h_recent_claim(struct req *r)
{
	uint64_t id;
	uint32_t claim;
	struct mbox mb;
	ipc_get_u64(&r->c, &id);
	ipc_get_u32(&r->c, &claim);
	int rc = req_end_of_fields(r);
	if (rc == 0 && claim > 1)
		rc = req_fail(r, IPC_ERR_MALFORMED, "claim is 0 or 1");
	/* by id only: id 0 with no name is NOTFOUND in mailbox_ref */
	if (rc < 0 || (rc = req_db(r)) < 0 ||
	    (rc = mailbox_ref(r, id, NULL, 0, &mb)) < 0)
		return rc;
	uint32_t lo = mb.first_recent, hi = mb.uidnext - 1;
	if (claim && lo < mb.uidnext && !db_frozen) {
		r->opflags |= OP_WRITE;
		if ((rc = req_db(r)) < 0)
			return rc;
		sqlite3_stmt *st = db_stmt(r->d, ST_MBOX_RECENT_CLAIM,
		    "UPDATE mailboxes SET first_recent=? WHERE id=?");
		if (st == NULL)
			return db_fail(r->d, "prepare");
		sqlite3_bind_int64(st, 1, mb.uidnext);
		sqlite3_bind_int64(st, 2, mb.id);
		if (db_exec(st) < 0)
			return db_fail(r->d, "recent claim");
	}
	ipc_put_u32(r->rb, lo);
	ipc_put_u32(r->rb, hi);
	return 0;
}

int
h_mbox_set_use(struct req *r)
{
	const char *name;
	size_t len;
	uint32_t use;
	struct mbox mb;
	ipc_get_strp(&r->c, &name, &len, STORE_MBOX_NAME_MAX);
	ipc_get_u32(&r->c, &use);
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if ((use & ~STORE_USE_MASK) != 0)
		return req_fail(r, IPC_ERR_MALFORMED, "unknown special-use bits");
	if ((rc = req_db(r)) < 0 || (rc = mailbox_ref(r, 0, name, len, &mb)) < 0)
		return rc;
	uint64_t modseq = db_next_modseq(r->d);
	sqlite3_stmt *st = db_stmt(r->d, ST_MBOX_SET_USE,
	    "UPDATE mailboxes SET use=?, modseq=? WHERE id=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, use);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)modseq);
	sqlite3_bind_int64(st, 3, mb.id);
	if (db_exec(st) < 0)
		return db_fail(r->d, "set use");
	notify_changed(r->d, mb.id, r->ch);
	return 0;
}

int
h_keywords(struct req *r)
{
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	ipc_put_u32(r->rb, r->d->nkw);
	for (unsigned i = 0; i < r->d->nkw; i++)
		ipc_put_str(r->rb, r->d->kw[i]);
	return 0;
}
