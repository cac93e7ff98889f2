/* snooze: a user's snoozed emails and their wake-up (see snooze.h). */
#include "snooze.h"
#include "budget.h"
#include "db.h"
#include "delivery.h"
#include "handlers.h"
#include "log.h"
#include "mailbox.h"
#include "notify.h"
#include "request.h"
#include "user.h"

#include <string.h>
#include <time.h>

#define COPIES_MAX 64          /* copies of one email a snooze acts on */
#define WAKE_BATCH 16          /* snoozes woken per user and round */

struct copy {
	int64_t mailbox;
	uint32_t uid, use;
};

/* Where the copies of emailid are: how many (at most COPIES_MAX). */
static int
copies_of(struct udb *d, uint64_t emailid, struct copy *out)
{
	sqlite3_stmt *st = db_stmt(d, ST_SNOOZE_COPIES,
	    "SELECT m.mailbox, m.uid, x.use FROM blob b JOIN msgs m ON"
	    " m.blob=b.id JOIN mailboxes x ON x.id=m.mailbox WHERE b.emailid=?"
	    " ORDER BY m.mailbox, m.uid LIMIT 64");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)emailid);
	int n = 0, rc;
	while (n < COPIES_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		out[n].mailbox = sqlite3_column_int64(st, 0);
		out[n].uid = (uint32_t)sqlite3_column_int64(st, 1);
		out[n].use = (uint32_t)sqlite3_column_int64(st, 2);
		n++;
	}
	sqlite3_reset(st);
	return n;
}

/* The snoozed property of the copies changed: they take a new modseq
 * (Email/changes, CONDSTORE) and their mailboxes' watchers are told. */
static int
touch(struct udb *d, uint64_t emailid, struct chan *origin)
{
	struct copy c[COPIES_MAX];
	int n = copies_of(d, emailid, c);
	if (n <= 0)
		return n;
	uint64_t modseq = db_next_modseq(d);
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *st = db_stmt(d, ST_SNOOZE_TOUCH,
		    "UPDATE msgs SET modseq=? WHERE mailbox=? AND uid=?");
		if (st == NULL)
			return db_fail(d, "prepare");
		sqlite3_bind_int64(st, 1, (sqlite3_int64)modseq);
		sqlite3_bind_int64(st, 2, c[i].mailbox);
		sqlite3_bind_int64(st, 3, c[i].uid);
		int rc;
		if (db_exec(st) < 0)
			return db_fail(d, "snooze modseq");
		if ((rc = mailbox_count(d, c[i].mailbox, 0, 0, 0, 0, modseq)) < 0)
			return rc;
		notify_changed(d, c[i].mailbox, origin);
	}
	return 0;
}

/* The row of emailid deleted: 1, 0 when there was none, or an error. */
static int
delete_row(struct udb *d, uint64_t emailid)
{
	sqlite3_stmt *st = db_stmt(d, ST_SNOOZE_DEL,
	    "DELETE FROM snooze WHERE emailid=?");
	if (st != NULL)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)emailid);
	if (st == NULL || db_exec(st) < 0)
		return db_fail(d, "snooze delete");
	return sqlite3_changes(d->db) > 0;
}

static bool
in_snoozed(const struct copy *c, int n)
{
	for (int i = 0; i < n; i++)
		if (c[i].use & STORE_USE_SNOOZED)
			return true;
	return false;
}

/* A list of IMAP flag names separated by single spaces ("" = none),
 * checked as STORE_DELIVER_TO's flags are; set's keywords point into
 * scratch. 0 or a negative IPC error. */
static int
parse_flags(struct req *r, const char *txt, size_t len,
    struct delivery_set *set, struct buf *scratch)
{
	uint32_t n = 0;
	size_t i = 0;
	buf_reset(scratch);
	while (i < len) {
		size_t j = i;
		while (j < len && txt[j] != ' ')
			j++;
		if (j == i || (j < len && j + 1 == len))
			return req_fail(r, IPC_ERR_MALFORMED, "empty flag name");
		ipc_put_strn(scratch, txt + i, j - i);
		n++;
		i = j + 1;
	}
	if (scratch->failed)
		return req_fail(r, IPC_ERR_MALFORMED, "flag list too long");
	struct buf_cur saved = r->c;
	buf_cur_init(&r->c, scratch->data, scratch->len);
	int rc = delivery_parse_flags(r, n, set);
	r->c = saved;
	return rc;
}

int
h_snooze_set(struct req *r)
{
	uint64_t emailid, until, mailbox;
	const char *add, *rm;
	size_t addlen, rmlen;
	ipc_get_u64(&r->c, &emailid);
	ipc_get_u64(&r->c, &until);
	ipc_get_u64(&r->c, &mailbox);
	ipc_get_strp(&r->c, &add, &addlen, STORE_SNOOZE_FLAGS_MAX);
	ipc_get_strp(&r->c, &rm, &rmlen, STORE_SNOOZE_FLAGS_MAX);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	struct delivery_set set;
	struct buf scratch = BUF_INIT(2 * STORE_SNOOZE_FLAGS_MAX);
	if ((rc = parse_flags(r, add, addlen, &set, &scratch)) == 0)
		rc = parse_flags(r, rm, rmlen, &set, &scratch);
	buf_free(&scratch);
	if (rc < 0)
		return rc;
	struct copy c[COPIES_MAX];
	int n = copies_of(r->d, emailid, c);
	if (n <= 0)
		return n < 0 ? n : req_fail(r, IPC_ERR_NOTFOUND, "no such email");
	if (until != 0 && (until <= (uint64_t)snooze_now() ||
	    until > STORE_SNOOZE_UNTIL_MAX))
		return req_fail(r, IPC_ERR_MALFORMED, "until is not in the future");
	struct mbox mb;
	if (until != 0 && mailbox != 0 &&
	    (mailbox > INT64_MAX || mailbox_by_id(r->d, (int64_t)mailbox, &mb) != 0))
		return req_fail(r, IPC_ERR_NOTFOUND, "no such mailbox");
	if (until == 0) {          /* unsnooze: nothing moves */
		rc = delete_row(r->d, emailid);
		return rc <= 0 ? rc : touch(r->d, emailid, r->ch);
	}
	sqlite3_stmt *st = db_stmt(r->d, ST_SNOOZE_PUT,
	    "INSERT OR REPLACE INTO snooze VALUES(?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)emailid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)until);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)mailbox);
	sqlite3_bind_text(st, 4, add, (int)addlen, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, rm, (int)rmlen, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, in_snoozed(c, n));
	if (db_exec(st) < 0)
		return db_fail(r->d, "snooze");
	/* in the shard's index before the commit: it may only err early */
	if (snooze_due_note(r->u->id, (int64_t)until) < 0)
		return req_fail(r, IPC_ERR_INTERNAL, "snooze index");
	return touch(r->d, emailid, r->ch);
}

int
h_snooze_get(struct req *r)
{
	uint32_t n;
	uint64_t ids[STORE_LOCATE_MAX];
	int rc = req_get_emailids(r, ids, &n);
	if (rc < 0 || (rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0)
		return rc;
	sqlite3_stmt *st = db_stmt(r->d, ST_SNOOZE_GET, "SELECT until, mailbox,"
	    " addflags, rmflags FROM snooze WHERE emailid=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	req_reply_stream(r);
	for (uint32_t i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)ids[i]);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			req_item(r);
			ipc_put_u64(r->rb, ids[i]);
			ipc_put_u64(r->rb, (uint64_t)sqlite3_column_int64(st, 0));
			ipc_put_u64(r->rb, (uint64_t)sqlite3_column_int64(st, 1));
			const char *a = (const char *)sqlite3_column_text(st, 2);
			const char *b = (const char *)sqlite3_column_text(st, 3);
			ipc_put_str(r->rb, a ? a : "");
			ipc_put_str(r->rb, b ? b : "");
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return db_fail(r->d, "snooze get");
	}
	req_end(r);
	return 0;
}

int64_t
snooze_next(struct udb *d)
{
	sqlite3_stmt *st = db_stmt(d, ST_SNOOZE_NEXT,
	    "SELECT min(until) FROM snooze");
	if (st == NULL)
		return -1;
	int64_t v = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);    /* NULL reads as 0: none */
	sqlite3_reset(st);
	return v;
}

/* ---- the wake-up, through the requests a client would send ------------------ */

/* Run a store handler for u as if u's own session had sent payload,
 * inside the write already open on d. 0 or a negative IPC error. */
static int
run_as_user(struct user *u, struct udb *d, uint32_t type,
    int (*fn)(struct req *), const struct buf *payload)
{
	struct buf rb = BUF_INIT(1u << 20);
	struct req r = { .ch = NULL, .type = type, .opflags = OP_WRITE,
		.fd = -1, .rfd = -1, .u = u, .d = d, .writing = true, .rb = &rb };
	buf_cur_init(&r.c, payload->data, payload->len);
	int rc = payload->failed ? -IPC_ERR_INTERNAL : fn(&r);
	if (rc < 0)
		log_warn("user %s: snooze wake-up: %s: %s", u->name,
		    ipc_type_name(type), r.err);
	buf_free(&rb);
	return rc;
}

static void
put_one_uid(struct buf *b, uint32_t uid)
{
	struct store_range one = { uid, uid };
	struct store_uids set = { &one, 1, 1 };
	store_uids_put(b, &set);
}

static int
move_copy(struct user *u, struct udb *d, const struct copy *c, int64_t dest)
{
	struct buf p = BUF_INIT(256);
	ipc_put_u64(&p, (uint64_t)c->mailbox);
	put_one_uid(&p, c->uid);
	ipc_put_u64(&p, (uint64_t)dest);
	int rc = run_as_user(u, d, IPC_STORE_MOVE, h_move, &p);
	buf_free(&p);
	return rc;
}

static int
flag_copy(struct user *u, struct udb *d, const struct copy *c, uint32_t op,
    const struct delivery_set *set)
{
	if (set->flags == 0 && set->nkw == 0)
		return 0;
	struct buf p = BUF_INIT(2 * STORE_SNOOZE_FLAGS_MAX);
	ipc_put_u64(&p, (uint64_t)c->mailbox);
	put_one_uid(&p, c->uid);
	ipc_put_u32(&p, op);
	ipc_put_u32(&p, set->flags);
	ipc_put_u32(&p, set->nkw);
	for (uint32_t i = 0; i < set->nkw; i++)
		ipc_put_strn(&p, (const char *)set->kw[i].p, set->kw[i].n);
	ipc_put_u64(&p, 0);
	ipc_put_u32(&p, 0);
	int rc = run_as_user(u, d, IPC_STORE_FLAGS, h_flags, &p);
	buf_free(&p);
	return rc;
}

struct due {
	uint64_t emailid;
	int64_t mailbox;
	bool placed;                /* snoozed in a \Snoozed mailbox */
	char add[STORE_SNOOZE_FLAGS_MAX + 1], rm[STORE_SNOOZE_FLAGS_MAX + 1];
};

/* The mailbox a woken email goes to: the snooze's, unless it is gone or
 * is itself a \Snoozed one; else INBOX. */
static int
target_of(struct udb *d, int64_t id, struct mbox *mb)
{
	if (id != 0 && mailbox_by_id(d, id, mb) == 0 &&
	    !(mb->use & STORE_USE_SNOOZED))
		return 0;
	return mailbox_by_name(d, "INBOX", mb) == 0 ? 0 : -IPC_ERR_INTERNAL;
}

/* A keyword the user's full table cannot take is left out (and logged),
 * as a migration does: the email still wakes. */
static void
drop_unplaceable(struct user *u, struct udb *d, struct delivery_set *add)
{
	uint32_t kept = 0;
	for (uint32_t i = 0; i < add->nkw; i++) {
		const struct meta_bytes *k = &add->kw[i];
		if (db_keyword_bit(d, (const char *)k->p, k->n, true) >= 0)
			add->kw[kept++] = *k;
		else
			log_warn("user %s: snooze wake-up: keyword %.*s left out"
			    " (keyword table full)", u->name, (int)k->n,
			    (const char *)k->p);
	}
	add->nkw = kept;
}

/* The snooze of emailid is over: its row goes, its copies change. */
static int
forget(struct udb *d, uint64_t emailid)
{
	int rc = delete_row(d, emailid);
	return rc < 0 ? rc : touch(d, emailid, NULL);
}

static int
wake_one(struct user *u, struct udb *d, const struct due *w)
{
	struct mbox target;
	struct copy c[COPIES_MAX];
	int rc, n;
	if ((rc = target_of(d, w->mailbox, &target)) < 0 ||
	    (n = copies_of(d, w->emailid, c)) < 0)
		return rc < 0 ? rc : n;
	/* taken out of \Snoozed by hand before its time: the user has
	 * woken it already, and nothing is done to it now */
	if (w->placed && !in_snoozed(c, n))
		return forget(d, w->emailid);
	for (int i = 0; i < n; i++)
		if ((c[i].use & STORE_USE_SNOOZED) && c[i].mailbox != target.id &&
		    (rc = move_copy(u, d, &c[i], target.id)) < 0)
			return rc;
	struct delivery_set add, rm;
	struct buf sa = BUF_INIT(2 * STORE_SNOOZE_FLAGS_MAX);
	struct buf sr = BUF_INIT(2 * STORE_SNOOZE_FLAGS_MAX);
	struct req pr = { .type = IPC_STORE_SNOOZE_SET };
	if ((rc = parse_flags(&pr, w->add, strlen(w->add), &add, &sa)) == 0 &&
	    (rc = parse_flags(&pr, w->rm, strlen(w->rm), &rm, &sr)) == 0 &&
	    (n = copies_of(d, w->emailid, c)) >= 0) {
		drop_unplaceable(u, d, &add);
		for (int i = 0; i < n && rc == 0; i++)
			if ((rc = flag_copy(u, d, &c[i], STORE_FLAGS_ADD, &add)) == 0)
				rc = flag_copy(u, d, &c[i], STORE_FLAGS_REMOVE, &rm);
	}
	buf_free(&sa);
	buf_free(&sr);
	return rc < 0 ? rc : forget(d, w->emailid);
}

static int
collect_due(struct udb *d, int64_t now, struct due *out, int max)
{
	sqlite3_stmt *st = db_stmt(d, ST_SNOOZE_DUE, "SELECT emailid, mailbox,"
	    " addflags, rmflags, placed FROM snooze WHERE until<=? ORDER BY until");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, now);
	int n = 0, rc;
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		out[n].emailid = (uint64_t)sqlite3_column_int64(st, 0);
		out[n].mailbox = sqlite3_column_int64(st, 1);
		out[n].placed = sqlite3_column_int(st, 4) != 0;
		const char *a = (const char *)sqlite3_column_text(st, 2);
		const char *b = (const char *)sqlite3_column_text(st, 3);
		buf_strlcpy(out[n].add, sizeof(out[n].add), a ? a : "",
		    a ? strlen(a) : 0);
		buf_strlcpy(out[n].rm, sizeof(out[n].rm), b ? b : "",
		    b ? strlen(b) : 0);
		n++;
	}
	sqlite3_reset(st);
	return n;
}

int
snooze_wake_due(struct user *u, struct udb *d, int64_t now, bool *more)
{
	static struct due batch[WAKE_BATCH];
	int n = collect_due(d, now, batch, WAKE_BATCH);
	*more = n == WAKE_BATCH;
	int rc = n < 0 ? n : 0;
	for (int i = 0; i < n && rc == 0; i++)
		rc = wake_one(u, d, &batch[i]);
	if (rc == 0 && n > 0)
		log_info("user %s: woke %d snoozed email%s", u->name, n,
		    n == 1 ? "" : "s");
	return rc;
}
