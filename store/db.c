/* db: per-user databases, statement cache, group commit (see db.h). */
#include "db.h"
#include "budget.h"
#include "buf.h"
#include "ipc.h"
#include "log.h"
#include "schema.h"
#include "search_fn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

bool db_frozen;
static struct udb *lru_head, *lru_tail;   /* head = most recently used */
static struct udb *dirty_head;            /* written this turn */
static unsigned nopen, cache_max = 256;
static db_ack_lost_fn ack_lost;

void
db_init(unsigned max)
{
	cache_max = max > 0 ? max : 1;
}

void
db_on_ack_lost(db_ack_lost_fn fn)
{
	ack_lost = fn;
}

/* What a failed write tells the caller: a full disk is not a bug. */
static int
code_of_errno(int e)
{
	return e == ENOSPC || e == EDQUOT ? IPC_ERR_NOSPACE : IPC_ERR_INTERNAL;
}

int
db_fail(struct udb *d, const char *what)
{
	int ec = sqlite3_errcode(d->db);
	if (ec == SQLITE_INTERRUPT)      /* the request's budget (budget.c) */
		return -IPC_ERR_LIMIT;
	log_err("user %s: %s: %s", d->name, what, sqlite3_errmsg(d->db));
	return ec == SQLITE_FULL ? -IPC_ERR_NOSPACE : -IPC_ERR_INTERNAL;
}

sqlite3_stmt *
db_stmt(struct udb *d, enum db_stmt slot, const char *sql)
{
	sqlite3_stmt *st = d->st[slot];
	if (st == NULL) {
		if (sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		    &st, NULL) != SQLITE_OK) {
			log_err("user %s: prepare %d: %s", d->name, (int)slot,
			    sqlite3_errmsg(d->db));
			return NULL;
		}
		d->st[slot] = st;
		return st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int
db_exec(sqlite3_stmt *st)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void
lru_unlink(struct udb *d)
{
	if (d->lru_prev)
		d->lru_prev->lru_next = d->lru_next;
	else
		lru_head = d->lru_next;
	if (d->lru_next)
		d->lru_next->lru_prev = d->lru_prev;
	else
		lru_tail = d->lru_prev;
	d->lru_prev = d->lru_next = NULL;
}

static void
lru_front(struct udb *d)
{
	d->lru_next = lru_head;
	d->lru_prev = NULL;
	if (lru_head)
		lru_head->lru_prev = d;
	lru_head = d;
	if (lru_tail == NULL)
		lru_tail = d;
}

static int
meta_get(struct udb *d, const char *k, uint64_t *v)
{
	sqlite3_stmt *st = db_stmt(d, ST_META_GET, "SELECT v FROM meta WHERE k=?");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
meta_set(struct udb *d, const char *k, uint64_t v)
{
	sqlite3_stmt *st = db_stmt(d, ST_META_SET, "UPDATE meta SET v=? WHERE k=?");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)v);
	sqlite3_bind_text(st, 2, k, -1, SQLITE_STATIC);
	return db_exec(st);
}

static int
load_keywords(struct udb *d)
{
	sqlite3_stmt *st = db_stmt(d, ST_KW_LIST,
	    "SELECT bit, name FROM keywords ORDER BY bit");
	if (st == NULL)
		return -1;
	d->nkw = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int bit = sqlite3_column_int(st, 0);
		const char *n = (const char *)sqlite3_column_text(st, 1);
		if (bit != (int)d->nkw || bit >= STORE_MAX_KEYWORDS || n == NULL ||
		    buf_strlcpy(d->kw[bit], sizeof(d->kw[bit]), n, strlen(n)) < 0) {
			sqlite3_reset(st);
			return -1;
		}
		d->nkw++;
	}
	sqlite3_reset(st);
	d->nkw_disk = d->nkw;
	return 0;
}

static int
sweep_referenced(void *arg, const uint8_t hash[MSGFILE_HASH_LEN])
{
	struct udb *d = arg;
	sqlite3_stmt *st = db_stmt(d, ST_BLOB_HAS_HASH,
	    "SELECT 1 FROM blob WHERE emailid=? AND hash=?");
	if (st == NULL)
		return 1;      /* when in doubt, keep the file */
	sqlite3_bind_int64(st, 1, msgfile_emailid(hash));
	sqlite3_bind_blob(st, 2, hash, MSGFILE_HASH_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return 1;
	/* a JMAP upload's file (store/blob.c) is kept as well */
	st = db_stmt(d, ST_UPLOAD_HAS, "SELECT 1 FROM upload WHERE hash=?");
	if (st == NULL)
		return 1;
	sqlite3_bind_blob(st, 1, hash, MSGFILE_HASH_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc != SQLITE_DONE;
}

static void
close_udb(struct udb *d)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(d->st[i]);
	if (sqlite3_close(d->db) != SQLITE_OK)
		log_err("user %s: close: %s", d->name, sqlite3_errmsg(d->db));
	if (d->dirfd >= 0)
		close(d->dirfd);
	for (size_t i = 0; i < d->nsync; i++)
		close(d->syncfds[i]);
	free(d->syncfds);
	free(d->synchash);
	free(d->unl);
	free(d->tcc);
	free(d->acks);
	free(d);
}

/* A clean close: no orphan sweep needed at the next open. The last
 * connection's close checkpoints the WAL and removes it. */
void
db_close(struct udb *d)
{
	lru_unlink(d);
	nopen--;
	if (d->marked_unclean && meta_set(d, "unclean", 0) < 0)
		log_warn("user %s: cannot mark clean", d->name);
	close_udb(d);
}

struct udb *
db_lru_victim(void)
{
	if (db_frozen || nopen <= cache_max)
		return NULL;
	/* one that holds keywords a lost turn took from the disk stays open:
	 * a reopen would give their bits to other keywords (turn_lost) */
	for (struct udb *d = lru_tail; d != NULL && !d->txn; d = d->lru_prev)
		if (d->nkw_lost_end == 0)
			return d;
	return NULL;
}

void
db_touch(struct udb *d)
{
	if (lru_head != d) {
		lru_unlink(d);
		lru_front(d);
	}
}

struct udb *
db_open(struct user *owner, const char *name, uint64_t id)
{
	char dir[MSGFILE_PATH_MAX], path[MSGFILE_PATH_MAX + 16];
	if (msgfile_user_dir(id, dir, sizeof(dir)) < 0 ||
	    buf_snprintf(path, sizeof(path), "%s/mail.db", dir) < 0)
		return NULL;
	if (msgfile_mkdir(id) < 0) {
		log_err("user %s: mkdir %s: %s", name, dir, strerror(errno));
		return NULL;
	}
	struct udb *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->u = owner;
	d->id = id;
	if (buf_strlcpy(d->name, sizeof(d->name), name, strlen(name)) < 0) {
		free(d);
		return NULL;
	}
	d->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dirfd < 0 || msgfile_db_precreate(path) < 0 ||
	    sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    schema_open_user(d->db, path) < 0 || search_register(d->db) < 0) {
		log_err("user %s: cannot open %s", name, path);
		if (d->db == NULL) {
			if (d->dirfd >= 0)
				close(d->dirfd);
			free(d);
		} else {
			close_udb(d);
		}
		return NULL;
	}
	budget_watch(d->db);
	uint64_t unclean = 0;
	if (meta_get(d, "modseq", &d->modseq) < 0 ||
	    meta_get(d, "unclean", &unclean) < 0 || load_keywords(d) < 0) {
		db_fail(d, "reading meta");
		close_udb(d);
		return NULL;
	}
	if (unclean) {
		unsigned removed = 0;
		if (msgfile_sweep(id, sweep_referenced, d, &removed) < 0)
			log_warn("user %s: sweep: %s", name, strerror(errno));
		else if (removed > 0)
			log_info("user %s: removed %u orphan message file(s)",
			    name, removed);
		d->marked_unclean = true;     /* still 1 on disk */
	}
	lru_front(d);
	nopen++;
	return d;
}

void
db_drop(struct udb *d)
{
	if (d->txn || d->dirty_listed)
		db_commit_all();
	lru_unlink(d);
	nopen--;
	close_udb(d);
}

static void turn_lost(struct udb *d, int code, const char *why);
static int save_lost_keywords(struct udb *d);

static int
run(struct udb *d, enum db_stmt slot, const char *sql)
{
	sqlite3_stmt *st = db_stmt(d, slot, sql);
	if (st == NULL || db_exec(st) < 0)
		return db_fail(d, sql);
	return 0;
}

int
db_write_begin(struct udb *d)
{
	if (!d->txn) {
		/* once per open, before any message file can be written: a
		 * kill from now on leaves files for the next open to sweep */
		if (!d->marked_unclean) {
			if (meta_set(d, "unclean", 1) < 0)
				return db_fail(d, "meta unclean");
			d->marked_unclean = true;
		}
		if (run(d, ST_BEGIN, "BEGIN IMMEDIATE") < 0)
			return -IPC_ERR_INTERNAL;
		d->txn = true;
		if (d->nkw_lost_end != 0 && save_lost_keywords(d) < 0)
			return -IPC_ERR_INTERNAL;
		if (!d->dirty_listed) {
			d->dirty_listed = true;
			d->dirty_next = dirty_head;
			dirty_head = d;
		}
	}
	if (run(d, ST_SAVEPOINT, "SAVEPOINT req") < 0)
		return -IPC_ERR_INTERNAL;
	d->in_sp = true;
	d->sp_modseq = d->modseq;
	d->sp_nunl = d->nunl;
	d->sp_nkw = d->nkw;
	return 0;
}

int
db_write_end(struct udb *d, bool ok)
{
	if (!d->in_sp)
		return 0;
	d->in_sp = false;
	if (sqlite3_get_autocommit(d->db)) {
		/* SQLite rolled the whole transaction back (a full disk, an
		 * I/O error): the turn's earlier requests went with it */
		int code = sqlite3_errcode(d->db) == SQLITE_FULL ?
		    IPC_ERR_NOSPACE : IPC_ERR_INTERNAL;
		turn_lost(d, code, "transaction rolled back");
		return -code;
	}
	if (!ok) {
		if (run(d, ST_ROLLBACK_TO, "ROLLBACK TO req") < 0)
			log_fatal("user %s: cannot roll back a request", d->name);
		d->modseq = d->sp_modseq;
		d->undo_gen++;
		d->nunl = d->sp_nunl;
		d->nkw = (unsigned)d->sp_nkw;
	}
	if (run(d, ST_RELEASE, "RELEASE req") < 0)
		log_fatal("user %s: cannot release a savepoint", d->name);
	return 0;
}

uint64_t
db_next_modseq(struct udb *d)
{
	d->modseq++;
	if (meta_set(d, "modseq", d->modseq) < 0)
		db_fail(d, "meta modseq");
	return d->modseq;
}

int
db_sync_later(struct udb *d, int fd, const uint8_t hash[MSGFILE_HASH_LEN])
{
	if (d->nsync == d->capsync) {
		size_t ncap = d->capsync ? d->capsync * 2 : 16;
		int *n = realloc(d->syncfds, ncap * sizeof(*n));
		if (n == NULL)
			return -1;
		d->syncfds = n;
		void *h = realloc(d->synchash, ncap * sizeof(d->synchash[0]));
		if (h == NULL)
			return -1;
		d->synchash = h;
		d->capsync = ncap;
	}
	memcpy(d->synchash[d->nsync], hash, MSGFILE_HASH_LEN);
	d->syncfds[d->nsync++] = fd;
	return 0;
}

int
db_note_ack(struct udb *d, struct chan *ch, uint32_t reqid)
{
	if (d->nacks == d->capacks) {
		size_t ncap = d->capacks ? d->capacks * 2 : 16;
		struct db_ack *n = realloc(d->acks, ncap * sizeof(*n));
		if (n == NULL)
			return -1;
		d->acks = n;
		d->capacks = ncap;
	}
	d->acks[d->nacks].ch = ch;
	d->acks[d->nacks].reqid = reqid;
	d->nacks++;
	return 0;
}

int
db_give_back_modseq(struct udb *d, uint64_t modseq)
{
	if (modseq != d->modseq)
		return 0;
	d->modseq--;
	return meta_set(d, "modseq", d->modseq) < 0 ? db_fail(d, "meta modseq") : 0;
}

int
db_unlink_later(struct udb *d, const uint8_t hash[MSGFILE_HASH_LEN])
{
	if (d->nunl == d->capunl) {
		size_t ncap = d->capunl ? d->capunl * 2 : 16;
		void *n = realloc(d->unl, ncap * sizeof(d->unl[0]));
		if (n == NULL)
			return -1;
		d->unl = n;
		d->capunl = ncap;
	}
	memcpy(d->unl[d->nunl++], hash, MSGFILE_HASH_LEN);
	return 0;
}

bool
db_dirty(void)
{
	return dirty_head != NULL;
}

/* The turn's transaction on d is lost (a failed fsync or commit, or SQLite
 * rolled it back itself on a full disk): nothing of it is durable, so no
 * reply may say it is. Every write request of the turn gets an error
 * instead of its OK, the in-memory state is reloaded from what is
 * committed, and the new files no row names are removed (their data may
 * not be on disk: a later append of the same bytes must write them anew).
 * stored goes on serving: reads work, and writes again once there is
 * room. */
static void
turn_lost(struct udb *d, int code, const char *why)
{
	log_err("user %s: %s: the writes of this turn are undone (%u request(s)"
	    " fail)", d->name, why, (unsigned)d->nacks);
	if (!sqlite3_get_autocommit(d->db) &&
	    sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		log_fatal("user %s: cannot roll back: %s", d->name,
		    sqlite3_errmsg(d->db));
	d->txn = false;
	d->in_sp = false;
	d->undo_gen++;
	for (size_t i = 0; ack_lost != NULL && i < d->nacks; i++)
		ack_lost(d->acks[i].ch, d->acks[i].reqid, (uint32_t)code,
		    code == IPC_ERR_NOSPACE ? "not enough disk space in the store"
		    : "the store could not write to disk");
	d->nacks = 0;
	for (size_t i = 0; i < d->nsync; i++) {
		if (d->syncfds[i] >= 0)
			close(d->syncfds[i]);
		if (msgfile_unlink(d->id, d->synchash[i]) < 0 && errno != ENOENT)
			log_warn("user %s: unlink: %s", d->name, strerror(errno));
	}
	d->nsync = 0;
	d->nunl = 0;           /* the expunges are undone: keep their files */
	unsigned shown = d->nkw;
	if (meta_get(d, "modseq", &d->modseq) < 0 || load_keywords(d) < 0)
		log_fatal("user %s: cannot reload its state: %s", d->name,
		    sqlite3_errmsg(d->db));
	/* A keyword bit never changes its name: clients keep the table and
	 * refresh it only for a bit past its end, and reads of this turn may
	 * have returned keywords it made. Their names stay (d->kw past the
	 * reloaded count is untouched), their bits are not handed out again,
	 * and the next write transaction puts their rows back. */
	if (d->nkw < shown) {
		d->nkw_lost_end = shown;
		d->nkw = shown;
	}
}

/* The rows of keywords a lost turn took (see turn_lost), written back
 * first in a write transaction, outside any request's savepoint. */
static int
save_lost_keywords(struct udb *d)
{
	for (unsigned bit = d->nkw_disk; bit < d->nkw_lost_end; bit++) {
		sqlite3_stmt *st = db_stmt(d, ST_KW_ADD,
		    "INSERT INTO keywords(bit, name) VALUES(?, ?)");
		if (st == NULL)
			return -1;
		sqlite3_bind_int(st, 1, (int)bit);
		sqlite3_bind_text(st, 2, d->kw[bit], -1, SQLITE_STATIC);
		if (db_exec(st) < 0)
			return db_fail(d, "keywords");
	}
	d->nkw_disk = d->nkw_lost_end;
	d->nkw_lost_end = 0;
	return 0;
}

/* From this many new files in a turn, one syncfs makes them durable. */
#define SYNCFS_FILES 32

/* Make d's turn durable: files, directory, commit; -1 (turn lost) if not. */
static int
commit_one(struct udb *d)
{
	/* the files the transaction names must be durable and reachable
	 * first. Start the writeback of all of them, so that their blocks
	 * are allocated and the first fdatasync's journal commit carries
	 * them all (ext4 delalloc would otherwise cost one journal commit
	 * per file). */
	for (size_t i = 0; i < d->nsync; i++)
		(void)sync_file_range(d->syncfds[i], 0, 0, SYNC_FILE_RANGE_WRITE);
	/* many files (a migration batch): one syncfs writes them all and
	 * waits once, where an fdatasync each waits for the disk each time;
	 * it reports a writeback error of any of them (Linux >= 5.8) */
	bool many = d->nsync >= SYNCFS_FILES;
	if (many && syncfs(d->dirfd) < 0) {
		int e = errno;
		turn_lost(d, code_of_errno(e), strerror(e));
		return -1;
	}
	for (size_t i = 0; !many && i < d->nsync; i++) {
		if (fdatasync(d->syncfds[i]) < 0) {
			int e = errno;
			turn_lost(d, code_of_errno(e), strerror(e));
			return -1;
		}
	}
	if (d->nsync > 0 && fsync(d->dirfd) < 0) {
		int e = errno;
		turn_lost(d, code_of_errno(e), strerror(e));
		return -1;
	}
	if (run(d, ST_COMMIT, "COMMIT") < 0) {
		turn_lost(d, sqlite3_errcode(d->db) == SQLITE_FULL ?
		    IPC_ERR_NOSPACE : IPC_ERR_INTERNAL, "commit failed");
		return -1;
	}
	for (size_t i = 0; i < d->nsync; i++)
		close(d->syncfds[i]);
	d->nsync = 0;
	d->nacks = 0;
	d->txn = false;
	return 0;
}

void
db_commit_all(void)
{
	struct udb *d = dirty_head;
	dirty_head = NULL;
	for (; d != NULL; d = d->dirty_next) {
		d->dirty_listed = false;
		if (!d->txn)
			continue;      /* lost earlier in the turn */
		if (commit_one(d) < 0)
			continue;
		for (size_t i = 0; i < d->nunl; i++)
			if (msgfile_unlink(d->id, d->unl[i]) < 0 && errno != ENOENT)
				log_warn("user %s: unlink: %s", d->name,
				    strerror(errno));
		d->nunl = 0;
	}
}

int
db_checkpoint_all(void)
{
	db_commit_all();
	for (struct udb *d = lru_head; d != NULL; d = d->lru_next) {
		int nlog = 0, nckpt = 0;
		if (sqlite3_wal_checkpoint_v2(d->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
		    &nlog, &nckpt) != SQLITE_OK) {
			db_fail(d, "checkpoint");
			return -1;
		}
	}
	return 0;
}

int
db_keyword_bit(struct udb *d, const char *name, size_t len, bool create)
{
	for (unsigned i = 0; i < d->nkw; i++)
		if (strlen(d->kw[i]) == len && strncasecmp(d->kw[i], name, len) == 0)
			return (int)i;
	/* not while bits a lost turn took are missing from the table */
	if (!create || d->nkw >= STORE_MAX_KEYWORDS || len > STORE_KEYWORD_MAX ||
	    d->nkw_lost_end != 0)
		return -1;
	sqlite3_stmt *st = db_stmt(d, ST_KW_ADD,
	    "INSERT INTO keywords(bit, name) VALUES(?, ?)");
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, (int)d->nkw);
	sqlite3_bind_text(st, 2, name, (int)len, SQLITE_STATIC);
	if (db_exec(st) < 0)
		return -1;
	memcpy(d->kw[d->nkw], name, len);
	d->kw[d->nkw][len] = '\0';
	return (int)d->nkw++;
}
