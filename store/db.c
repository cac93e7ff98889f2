/* db: per-user databases, statement cache, group commit (see db.h). */
#include "db.h"
#include "buf.h"
#include "ipc.h"
#include "log.h"
#include "mailbox.h"
#include "schema.h"
#include "search.h"
#include "user.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static struct udb *lru_head, *lru_tail;   /* head = most recently used */
static struct udb *dirty_head;            /* written this turn */
static unsigned nopen, cache_max = 256;

void
db_init(unsigned max)
{
	cache_max = max > 0 ? max : 1;
}

int
db_fail(struct udb *d, const char *what)
{
	log_err("user %s: %s: %s", d->u->name, what, sqlite3_errmsg(d->db));
	return -IPC_ERR_INTERNAL;
}

sqlite3_stmt *
db_stmt(struct udb *d, enum db_stmt slot, const char *sql)
{
	sqlite3_stmt *st = d->st[slot];
	if (st == NULL) {
		if (sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		    &st, NULL) != SQLITE_OK) {
			log_err("user %s: prepare %d: %s", d->u->name, (int)slot,
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
	sqlite3_bind_int64(st, 1, mailbox_emailid(hash));
	sqlite3_bind_blob(st, 2, hash, MSGFILE_HASH_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc != SQLITE_DONE;
}

static void
close_udb(struct udb *d)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(d->st[i]);
	if (sqlite3_close(d->db) != SQLITE_OK)
		log_err("user %s: close: %s", d->u->name, sqlite3_errmsg(d->db));
	if (d->dirfd >= 0)
		close(d->dirfd);
	for (size_t i = 0; i < d->nsync; i++)
		close(d->syncfds[i]);
	free(d->syncfds);
	free(d->unl);
	free(d);
}

/* A clean close: no orphan sweep needed at the next open. The last
 * connection's close checkpoints the WAL and removes it. */
static void
evict(struct udb *d)
{
	lru_unlink(d);
	nopen--;
	if (d->marked_unclean && meta_set(d, "unclean", 0) < 0)
		log_warn("user %s: cannot mark clean", d->u->name);
	struct user *u = d->u;
	u->db = NULL;
	close_udb(d);
	user_maybe_free(u);
}

void
db_trim(bool frozen)
{
	while (!frozen && nopen > cache_max && lru_tail != NULL) {
		struct udb *d = lru_tail;
		if (d->txn)
			break;
		evict(d);
	}
}

struct udb *
db_get(struct user *u)
{
	if (u->db != NULL) {
		if (lru_head != u->db) {
			lru_unlink(u->db);
			lru_front(u->db);
		}
		return u->db;
	}
	char dir[MSGFILE_PATH_MAX], path[MSGFILE_PATH_MAX + 16];
	if (msgfile_user_dir(u->id, dir, sizeof(dir)) < 0 ||
	    buf_snprintf(path, sizeof(path), "%s/mail.db", dir) < 0)
		return NULL;
	if (msgfile_mkdir(u->id) < 0) {
		log_err("user %s: mkdir %s: %s", u->name, dir, strerror(errno));
		return NULL;
	}
	struct udb *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->u = u;
	d->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dirfd < 0 || msgfile_db_precreate(path) < 0 || sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    schema_open_user(d->db, path) < 0 || search_register(d->db) < 0) {
		log_err("user %s: cannot open %s", u->name, path);
		if (d->db == NULL && d->dirfd >= 0)
			close(d->dirfd);
		else
			close_udb(d);
		return NULL;
	}
	uint64_t unclean = 0;
	if (meta_get(d, "modseq", &d->modseq) < 0 ||
	    meta_get(d, "unclean", &unclean) < 0 || load_keywords(d) < 0) {
		db_fail(d, "reading meta");
		close_udb(d);
		return NULL;
	}
	if (unclean) {
		unsigned removed = 0;
		if (msgfile_sweep(u->id, sweep_referenced, d, &removed) < 0)
			log_warn("user %s: sweep: %s", u->name, strerror(errno));
		else if (removed > 0)
			log_info("user %s: removed %u orphan message file(s)",
			    u->name, removed);
		d->marked_unclean = true;     /* still 1 on disk */
	}
	u->db = d;
	lru_front(d);
	nopen++;
	if (mailbox_ensure_inbox(d) < 0) {
		u->db = NULL;
		lru_unlink(d);
		nopen--;
		close_udb(d);
		return NULL;
	}
	return d;
}

void
db_release(struct user *u)
{
	if (u->db != NULL && !u->db->txn)
		evict(u->db);
}

void
db_drop(struct user *u)
{
	struct udb *d = u->db;
	if (d == NULL)
		return;
	if (d->txn)
		db_commit_all();
	lru_unlink(d);
	nopen--;
	u->db = NULL;
	close_udb(d);
}

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
		d->dirty_next = dirty_head;
		dirty_head = d;
	}
	if (run(d, ST_SAVEPOINT, "SAVEPOINT req") < 0)
		return -IPC_ERR_INTERNAL;
	d->in_sp = true;
	d->sp_modseq = d->modseq;
	d->sp_nunl = d->nunl;
	d->sp_nkw = d->nkw;
	return 0;
}

void
db_write_end(struct udb *d, bool ok)
{
	if (!d->in_sp)
		return;
	d->in_sp = false;
	if (!ok) {
		if (run(d, ST_ROLLBACK_TO, "ROLLBACK TO req") < 0)
			log_fatal("user %s: cannot roll back a request", d->u->name);
		d->modseq = d->sp_modseq;
		d->nunl = d->sp_nunl;
		d->nkw = (unsigned)d->sp_nkw;
	}
	if (run(d, ST_RELEASE, "RELEASE req") < 0)
		log_fatal("user %s: cannot release a savepoint", d->u->name);
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
db_sync_later(struct udb *d, int fd)
{
	if (d->nsync == d->capsync) {
		size_t ncap = d->capsync ? d->capsync * 2 : 16;
		int *n = realloc(d->syncfds, ncap * sizeof(*n));
		if (n == NULL)
			return -1;
		d->syncfds = n;
		d->capsync = ncap;
	}
	d->syncfds[d->nsync++] = fd;
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

void
db_commit_all(void)
{
	struct udb *d = dirty_head;
	dirty_head = NULL;
	for (; d != NULL; d = d->dirty_next) {
		/* the files the transaction names must be durable and
		 * reachable first. Start the writeback of all of them, so
		 * that their blocks are allocated and the first fdatasync's
		 * journal commit carries them all (ext4 delalloc would
		 * otherwise cost one journal commit per file). */
		for (size_t i = 0; i < d->nsync; i++)
			(void)sync_file_range(d->syncfds[i], 0, 0,
			    SYNC_FILE_RANGE_WRITE);
		for (size_t i = 0; i < d->nsync; i++) {
			if (fdatasync(d->syncfds[i]) < 0)
				log_fatal_errno("user %s: fdatasync of a message",
				    d->u->name);
			close(d->syncfds[i]);
		}
		if (d->nsync > 0 && fsync(d->dirfd) < 0)
			log_fatal_errno("user %s: fsync of its directory", d->u->name);
		d->nsync = 0;
		if (run(d, ST_COMMIT, "COMMIT") < 0)
			log_fatal("user %s: commit failed", d->u->name);
		d->txn = false;
		for (size_t i = 0; i < d->nunl; i++)
			if (msgfile_unlink(d->u->id, d->unl[i]) < 0 && errno != ENOENT)
				log_warn("user %s: unlink: %s", d->u->name,
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
	if (!create || d->nkw >= STORE_MAX_KEYWORDS || len > STORE_KEYWORD_MAX)
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
