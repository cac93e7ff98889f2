/* outbox: messages queued for submitd (see outbox.h). */
#include "outbox.h"
#include "buf.h"
#include "chan.h"
#include "ipc.h"
#include "log.h"
#include "msgfile.h"
#include "outbox_auto.h"
#include "outbox_int.h"
#include "outbox_proto.h"
#include "outbox_status.h"
#include "request.h"
#include "rights.h"
#include "store_proto.h"
#include "user.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static sqlite3 *odb;
static char odir[64];
static uint64_t last_modseq;   /* the shard's outbox change counter */

enum { O_INSERT, O_COUNT_USER, O_DUE, O_NEXT, O_CLAIM, O_RESOLVE, O_RELEASE,
	O_RESET, O_LIVE, O_LIST, O_NSTMT };
static sqlite3_stmt *ost[O_NSTMT];
static const char *const osql[O_NSTMT] = {
	[O_INSERT] = "INSERT INTO outbox(user, mail_from, rcpts, size, send_at,"
	    " state, next_try, created, meta, modseq, cmodseq, msgid)"
	    " VALUES(?, ?, ?, ?, ?, 0, ?, ?, ?, ?9, ?9, ?10)",
	[O_COUNT_USER] = "SELECT count(*) FROM outbox WHERE user=? AND state IN (0, 1, 6)",
	[O_DUE] = "SELECT id, mail_from, rcpts, size, attempts FROM outbox"
	    " WHERE state=0 AND next_try<=? ORDER BY next_try, id LIMIT 1",
	[O_NEXT] = "SELECT min(next_try) FROM outbox WHERE state=0",
	[O_CLAIM] = "UPDATE outbox SET state=1 WHERE id=? AND state=0",
	[O_RESOLVE] = "UPDATE outbox SET state=?, attempts=attempts+1,"
	    " next_try=?, reply=?, modseq=?, done_at=?, rstatus=? WHERE id=?"
	    " AND state IN (1, 5, 6)",
	[O_RELEASE] = "UPDATE outbox SET state=0 WHERE id=? AND state=1",
	[O_RESET] = "UPDATE outbox SET state=0 WHERE state=1",
	[O_LIVE] = "SELECT 1 FROM outbox WHERE id=? AND state IN (0, 1, 6)",
	[O_LIST] = "SELECT id, user, state, attempts, next_try, size, mail_from,"
	    " rcpts, reply FROM outbox WHERE state IN (0, 1, 3, 5, 6) ORDER BY id"
	    " LIMIT ?",
};

/* Which channel holds which claimed entry (in memory only: a stored
 * restart releases them all, O_RESET). */
static struct claim {
	const struct chan *ch;
	uint64_t id;
} claims[OUTBOX_CLAIMS_MAX];

/* Channels that found nothing due: woken by the next entry due now. */
static struct chan *waiters[OUTBOX_CLAIMS_MAX];

/* The second now, from the clock submitd's timerfd runs on: time(2) may
 * read a coarse clock still in the second before the one the timer
 * fired at, and an entry due then would be "not due" for a few ms. */
static uint64_t
precise_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

static sqlite3_stmt *
stmt(int i)
{
	sqlite3_reset(ost[i]);
	sqlite3_clear_bindings(ost[i]);
	return ost[i];
}

static int
step_done(int i)
{
	int rc = sqlite3_step(ost[i]);
	sqlite3_reset(ost[i]);
	if (rc == SQLITE_DONE)
		return 0;
	log_err("outbox: %s", sqlite3_errmsg(odb));
	return -IPC_ERR_INTERNAL;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	return t != NULL ? t : "";
}

static int
file_path(uint64_t id, char *out, size_t size)
{
	return buf_snprintf(out, size, "%s/%llu", odir, (unsigned long long)id);
}

static void
remove_file(uint64_t id)
{
	char path[96];
	if (file_path(id, path, sizeof(path)) >= 0 && unlink(path) < 0 &&
	    errno != ENOENT)
		log_warn("outbox: unlink %s: %s", path, strerror(errno));
}

static bool
live(uint64_t id)
{
	sqlite3_stmt *st = stmt(O_LIVE);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc != SQLITE_DONE;   /* on error: keep the file */
}

/* Files of entries that are done, or that a crash left without their
 * committed row. */
static void
sweep(void)
{
	DIR *dir = opendir(odir);
	if (dir == NULL)
		log_fatal_errno("outbox: %s", odir);
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		char *end;
		if (e->d_name[0] == '.')
			continue;
		errno = 0;
		unsigned long long id = strtoull(e->d_name, &end, 10);
		if (errno != 0 || *end != '\0' || !live(id))
			if (unlinkat(dirfd(dir), e->d_name, 0) < 0)
				log_warn("outbox: unlink %s: %s", e->d_name,
				    strerror(errno));
	}
	closedir(dir);
}

void
outbox_open(sqlite3 *db, const char *root)
{
	odb = db;
	if (buf_snprintf(odir, sizeof(odir), "%s/outbox", root) < 0)
		log_fatal("outbox: path");
	if (mkdir(odir, MSGFILE_DIR_MODE) < 0 && errno != EEXIST)
		log_fatal_errno("outbox: mkdir %s", odir);
	for (int i = 0; i < O_NSTMT; i++)
		if (sqlite3_prepare_v3(db, osql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &ost[i], NULL) != SQLITE_OK)
			log_fatal("outbox: prepare: %s", sqlite3_errmsg(db));
	if (step_done(O_RESET) < 0)
		log_fatal("outbox: cannot release claimed entries");
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT max(modseq) FROM outbox", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		log_fatal("outbox: modseq: %s", sqlite3_errmsg(db));
	last_modseq = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	outbox_jmap_open(db);
	outbox_status_open(db);
	outbox_result_open(db);
	outbox_auto_open(db);
	sweep();
}

uint64_t
outbox_next_modseq(void)
{
	return ++last_modseq;
}

void
outbox_remove_file(uint64_t id)
{
	remove_file(id);
}

/* ---- claims and waiters ---------------------------------------------------- */

static struct claim *
claim_find(const struct chan *ch, uint64_t id)
{
	for (size_t i = 0; i < OUTBOX_CLAIMS_MAX; i++)
		if (claims[i].ch == ch && (id == 0 || claims[i].id == id))
			return &claims[i];
	return NULL;
}

bool
outbox_claimed(const struct chan *ch, uint64_t id)
{
	for (size_t i = 0; i < OUTBOX_CLAIMS_MAX; i++)
		if (claims[i].ch != NULL && claims[i].id == id &&
		    (ch == NULL || claims[i].ch == ch))
			return true;
	return false;
}

void
outbox_claim_drop(uint64_t id)
{
	for (size_t i = 0; i < OUTBOX_CLAIMS_MAX; i++)
		if (claims[i].ch != NULL && claims[i].id == id) {
			claims[i].ch = NULL;
			claims[i].id = 0;
		}
}

static void
waiter_set(struct chan *ch, bool on)
{
	struct chan **slot = NULL;
	for (size_t i = 0; i < OUTBOX_CLAIMS_MAX; i++) {
		if (waiters[i] == ch) {
			if (!on)
				waiters[i] = NULL;
			return;
		}
		if (waiters[i] == NULL && slot == NULL)
			slot = &waiters[i];
	}
	if (on && slot != NULL)
		*slot = ch;   /* no slot: that submitd wakes on its own timer */
}

/* Something is due now: one STORE_NOTIFY (mailbox 0, all zero) to each
 * waiting channel, which then claims. */
static void
wake_waiters(void)
{
	static struct buf b = BUF_INIT(64);
	buf_reset(&b);
	ipc_put_u64(&b, 0);
	ipc_put_u64(&b, 0);
	ipc_put_u32(&b, 0);
	ipc_put_u32(&b, 0);
	ipc_put_u64(&b, 0);
	for (size_t i = 0; i < OUTBOX_CLAIMS_MAX; i++) {
		struct chan *ch = waiters[i];
		if (ch == NULL || ch->dead || ch->out != NULL)
			continue;      /* busy: its reply or its timer brings it back */
		if (chan_send_now(ch, IPC_STORE_NOTIFY, &b))
			waiters[i] = NULL;
	}
}

void
outbox_chan_closed(struct chan *ch)
{
	waiter_set(ch, false);
	struct claim *c;
	while ((c = claim_find(ch, 0)) != NULL) {
		sqlite3_stmt *st = stmt(O_RELEASE);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)c->id);
		/* one past the mark before the final dot is not sent again */
		if (step_done(O_RELEASE) == 0 && sqlite3_changes(odb) == 0)
			outbox_commit_lost(c->id, ch);
		else
			log_info("outbox: %llu is pending again (%s[%llu] left)",
			    (unsigned long long)c->id, ch->service,
			    (unsigned long long)ch->instance);
		c->ch = NULL;
		c->id = 0;
	}
	if (odb != NULL)
		wake_waiters();
}

/* ---- OUTBOX_ADD ------------------------------------------------------------ */

/* An envelope address: bounded, no control characters, no angle brackets
 * or spaces (it goes between < > on an SMTP command line as it is). */
static bool
addr_ok(const char *p, size_t n, bool may_be_empty)
{
	if (n == 0)
		return may_be_empty;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch <= 0x20 || ch == 0x7f || ch == '<' || ch == '>')
			return false;
	}
	return true;
}

/* Copy size bytes of src into a new file at path, synced (pread: the
 * caller's memfd may change under us; a short one is refused). */
static int
copy_file(int src, uint64_t size, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0640);
	if (fd < 0)
		return -1;
	static char chunk[64 * 1024];
	uint64_t off = 0;
	while (off < size) {
		size_t want = size - off < sizeof(chunk) ? (size_t)(size - off) :
		    sizeof(chunk);
		ssize_t n = pread(src, chunk, want, (off_t)off);
		if (n <= 0 || write(fd, chunk, (size_t)n) != n) {
			if (n == 0)
				errno = EIO;
			break;
		}
		off += (uint64_t)n;
	}
	int rc = off == size && fsync(fd) == 0 ? 0 : -1;
	close(fd);
	if (rc < 0)
		unlink(path);
	return rc;
}

/* The user an add is for: the session's own, or, on the delivery right
 * (no ticket) or the admin channel, the named one, who must exist on this
 * shard. */
static int
add_user(struct req *r, const char *name, size_t len)
{
	if (r->ch->user != NULL) {
		if (r->ch->user->deleted)
			return req_fail(r, IPC_ERR_NOTFOUND, "the user was deleted");
		r->u = r->ch->user;
		return 0;
	}
	if (!r->ch->admin && !rights_may(r->ch->svc, IPC_STORE_DELIVER))
		return req_fail(r, IPC_ERR_UNEXPECTED, "STORE_OUTBOX_ADD without"
		    " a user or the delivery right");
	return req_named_user(r, name, len);
}

static int
user_pending(const char *user, uint64_t *n)
{
	sqlite3_stmt *st = stmt(O_COUNT_USER);
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -IPC_ERR_INTERNAL;
}

/* Insert the row (counted in the user's day if at_delivery) and write its
 * file in one transaction: a crash leaves either both or a file the next
 * start sweeps. */
static int
add_entry(struct req *r, const char *from, size_t flen, const struct buf *rcpts,
    uint64_t size, uint64_t send_at, const uint8_t *meta, size_t mlen,
    const char *msgid, size_t idlen, bool at_delivery, uint64_t *id)
{
	char path[96];
	uint64_t now = (uint64_t)time(NULL);
	if (sqlite3_exec(odb, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return req_fail(r, IPC_ERR_INTERNAL, "outbox: begin");
	sqlite3_stmt *st = stmt(O_INSERT);
	sqlite3_bind_text(st, 1, r->u->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, from, (int)flen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, rcpts->data, (int)rcpts->len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)send_at);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)(send_at > now ? send_at : now));
	sqlite3_bind_int64(st, 7, (sqlite3_int64)now);
	sqlite3_bind_blob(st, 8, mlen > 0 ? (const void *)meta : "", (int)mlen,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)outbox_next_modseq());
	sqlite3_bind_text(st, 10, msgid, (int)idlen, SQLITE_STATIC);
	int rc = step_done(O_INSERT);
	*id = (uint64_t)sqlite3_last_insert_rowid(odb);
	if (rc == 0 && at_delivery)
		rc = outbox_auto_count(r->u->name);
	if (rc == 0 && (file_path(*id, path, sizeof(path)) < 0 ||
	    copy_file(r->fd, size, path) < 0))
		rc = req_fail(r, errno == ENOSPC ? IPC_ERR_NOSPACE :
		    errno == EIO ? IPC_ERR_MALFORMED : IPC_ERR_INTERNAL,
		    "outbox: the message file: %s", strerror(errno));
	if (rc == 0 && sqlite3_exec(odb, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	sqlite3_exec(odb, "ROLLBACK", NULL, NULL, NULL);
	if (rc == 0)
		remove_file(*id);
	return rc < 0 ? rc : req_fail(r, IPC_ERR_INTERNAL, "outbox: commit");
}

/* user, mail_from, nrcpts, rcpt..., size, send_at, meta, msgid; memfd.
 * Reply: id. meta (a JMAP EmailSubmission's own fields, opaque here) only
 * from a user session: it makes the entry one the user lists and
 * cancels; msgid (the message's Message-ID, opaque) names it to an MDN. */
int
h_outbox_add(struct req *r)
{
	static struct buf rcpts = BUF_INIT(STORE_OUTBOX_RCPTS_MAX *
	    (STORE_OUTBOX_ADDR_MAX + 1));
	/* a field that does not decode leaves its value as set here (the
	 * end-of-fields check then refuses the request) */
	const char *user = "", *from = "", *p, *msgid = "";
	const uint8_t *meta = NULL;
	size_t ulen = 0, flen = 0, n, mlen = 0, idlen = 0;
	uint32_t nrcpts = 0;
	uint64_t size = 0, send_at = 0, pending, id = 0;
	ipc_get_strp(&r->c, &user, &ulen, STORE_USER_MAX);
	ipc_get_strp(&r->c, &from, &flen, STORE_OUTBOX_ADDR_MAX);
	ipc_get_u32(&r->c, &nrcpts);
	if (nrcpts == 0 || nrcpts > STORE_OUTBOX_RCPTS_MAX)
		return req_fail(r, IPC_ERR_MALFORMED, "1 to %u recipients",
		    STORE_OUTBOX_RCPTS_MAX);
	if (!addr_ok(from, flen, true))
		return req_fail(r, IPC_ERR_MALFORMED, "bad reverse-path");
	buf_reset(&rcpts);
	for (uint32_t i = 0; i < nrcpts; i++) {
		if (ipc_get_strp(&r->c, &p, &n, STORE_OUTBOX_ADDR_MAX) < 0)
			break;
		if (!addr_ok(p, n, false))
			return req_fail(r, IPC_ERR_MALFORMED, "bad recipient");
		if (buf_append(&rcpts, p, n) < 0 || buf_append(&rcpts, "", 1) < 0)
			return req_fail(r, IPC_ERR_INTERNAL, "out of memory");
	}
	ipc_get_u64(&r->c, &size);
	ipc_get_u64(&r->c, &send_at);
	ipc_get_bytes(&r->c, &meta, &mlen, STORE_OUTBOX_META_MAX);
	ipc_get_strp(&r->c, &msgid, &idlen, STORE_OUTBOX_MSGID_MAX);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = add_user(r, user, ulen)) < 0)
		return rc;
	if (mlen > 0 && r->ch->user == NULL)
		return req_fail(r, IPC_ERR_MALFORMED, "meta from a user session only");
	/* the delivery right: no ticket, not the admin channel */
	bool at_delivery = r->ch->user == NULL && !r->ch->admin;
	if (at_delivery && (rc = outbox_auto_check(r, from, flen, nrcpts)) < 0)
		return rc;
	if (size == 0 || size > STORE_MSG_MAX || send_at > INT64_MAX)
		return req_fail(r, IPC_ERR_LIMIT, "message size or time out of range");
	if (user_pending(r->u->name, &pending) < 0)
		return req_fail(r, IPC_ERR_INTERNAL, "outbox: count");
	if (pending >= OUTBOX_USER_PENDING_MAX)
		return req_fail(r, IPC_ERR_LIMIT, "%s has %u messages waiting to"
		    " be sent", r->u->name, OUTBOX_USER_PENDING_MAX);
	if ((rc = add_entry(r, from, flen, &rcpts, size, send_at, meta, mlen,
	    msgid, idlen, at_delivery, &id)) < 0)
		return rc;
	log_info("outbox: %llu queued for %s by %s, %u recipient(s), %llu bytes",
	    (unsigned long long)id, r->u->name, r->ch->service, nrcpts,
	    (unsigned long long)size);
	ipc_put_u64(r->rb, id);
	if (mlen > 0) {
		outbox_jmap_expire(r->u->name);
		outbox_notify(r->u->name, r->ch);
	}
	/* every add: a waiting submitd claims again and re-arms its timer
	 * for this entry if it is due sooner than the one it waits for */
	wake_waiters();
	return 0;
}

/* ---- OUTBOX_CLAIM / OUTBOX_RESULT (submitd) --------------------------------- */

int
outbox_submit_channel(struct req *r)
{
	if (r->ch->user != NULL || r->ch->admin)
		return req_fail(r, IPC_ERR_UNEXPECTED, "%s on a user session",
		    ipc_type_name(r->type));
	return 0;
}

static uint64_t
next_due(void)
{
	sqlite3_stmt *st = stmt(O_NEXT);
	uint64_t t = 0;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		t = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return t;
}

/* Reply the due row st stands on, with its file; 0, 1 (its file is gone:
 * failed), or an error. */
static int
put_entry(struct req *r, sqlite3_stmt *st, uint64_t id)
{
	char path[96];
	if (file_path(id, path, sizeof(path)) < 0)
		return req_fail(r, IPC_ERR_INTERNAL, "outbox: path");
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 1;
	const char *rc = (const char *)sqlite3_column_blob(st, 2);
	size_t rlen = (size_t)sqlite3_column_bytes(st, 2);
	ipc_put_u64(r->rb, id);
	ipc_put_u64(r->rb, 0);
	ipc_put_u32(r->rb, (uint32_t)sqlite3_column_int64(st, 4));
	ipc_put_u64(r->rb, (uint64_t)sqlite3_column_int64(st, 3));
	ipc_put_str(r->rb, col_text(st, 1));
	uint32_t n = 0;
	for (size_t i = 0; i < rlen; i++)
		n += rc[i] == '\0';
	ipc_put_u32(r->rb, n);
	for (size_t i = 0; i < rlen; ) {
		size_t l = strnlen(rc + i, rlen - i);
		ipc_put_strn(r->rb, rc + i, l);
		i += l + 1;
	}
	r->rfd = fd;
	return 0;
}

int
outbox_resolve(uint64_t id, uint32_t state, uint64_t next_try,
    const char *reply, size_t rlen, const struct buf *rstatus)
{
	sqlite3_stmt *st = stmt(O_RESOLVE);
	sqlite3_bind_int64(st, 1, state);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)next_try);
	sqlite3_bind_text(st, 3, reply, (int)rlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)outbox_next_modseq());
	sqlite3_bind_int64(st, 5, state == OUTBOX_PENDING ? 0 :
	    (sqlite3_int64)time(NULL));
	sqlite3_bind_blob(st, 6, rstatus != NULL && rstatus->len > 0 ?
	    (const void *)rstatus->data : "", rstatus != NULL ?
	    (int)rstatus->len : 0, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)id);
	return step_done(O_RESOLVE);
}

/* Reply: id (0: nothing due), next_due; with an entry: attempts, size,
 * mail_from, nrcpts, rcpt...; and its file as the fd. */
int
h_outbox_claim(struct req *r)
{
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = outbox_submit_channel(r)) < 0)
		return rc;
	outbox_commit_orphans();
	struct claim *slot = claim_find(NULL, 0);
	if (slot == NULL)
		return req_fail(r, IPC_ERR_TEMPORARY, "%u entries claimed already",
		    OUTBOX_CLAIMS_MAX);
	for (int tries = 0; tries < 8; tries++) {
		sqlite3_stmt *st = stmt(O_DUE);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)precise_now());
		if (sqlite3_step(st) != SQLITE_ROW)
			break;
		uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);
		rc = put_entry(r, st, id);
		sqlite3_reset(st);
		if (rc < 0)
			return rc;
		if (rc == 1) {     /* no file: it can never be sent */
			log_err("outbox: %llu has no message file",
			    (unsigned long long)id);
			sqlite3_bind_int64(stmt(O_CLAIM), 1, (sqlite3_int64)id);
			if (step_done(O_CLAIM) < 0 || outbox_resolve(id, OUTBOX_FAILED, 0,
			    "message file lost", 17, NULL) < 0)
				return req_fail(r, IPC_ERR_INTERNAL, "outbox");
			continue;
		}
		sqlite3_bind_int64(stmt(O_CLAIM), 1, (sqlite3_int64)id);
		if (step_done(O_CLAIM) < 0)
			return req_fail(r, IPC_ERR_INTERNAL, "outbox: claim");
		slot->ch = r->ch;
		slot->id = id;
		waiter_set(r->ch, false);
		return 0;
	}
	ipc_put_u64(r->rb, 0);
	ipc_put_u64(r->rb, next_due());
	waiter_set(r->ch, true);
	return 0;
}

/* Stream entry: u64 id, str user, u32 state, u32 attempts, u64 next_try,
 * u64 size, str mail_from, u32 recipients, str reply. */
int
h_adm_outbox_list(struct req *r)
{
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if (!r->ch->admin)
		return req_fail(r, IPC_ERR_UNEXPECTED, "not an admin channel");
	req_reply_stream(r);
	sqlite3_stmt *st = stmt(O_LIST);
	sqlite3_bind_int64(st, 1, OUTBOX_LIST_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *rcpts = (const char *)sqlite3_column_blob(st, 7);
		int rlen = sqlite3_column_bytes(st, 7);
		uint32_t n = 0;
		for (int i = 0; i < rlen; i++)
			n += rcpts[i] == '\0';
		req_item(r);
		ipc_put_u64(r->rb, (uint64_t)sqlite3_column_int64(st, 0));
		ipc_put_str(r->rb, col_text(st, 1));
		ipc_put_u32(r->rb, (uint32_t)sqlite3_column_int64(st, 2));
		ipc_put_u32(r->rb, (uint32_t)sqlite3_column_int64(st, 3));
		ipc_put_u64(r->rb, (uint64_t)sqlite3_column_int64(st, 4));
		ipc_put_u64(r->rb, (uint64_t)sqlite3_column_int64(st, 5));
		ipc_put_str(r->rb, col_text(st, 6));
		ipc_put_u32(r->rb, n);
		ipc_put_str(r->rb, col_text(st, 8));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return req_fail(r, IPC_ERR_INTERNAL, "outbox: list");
	req_end(r);
	return 0;
}
