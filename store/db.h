/*
 * db: the per-user sqlite3 databases (data/s<shard>/u/<id>/mail.db): opening on
 * demand, an LRU cache with a bound, prepared statements cached per
 * database, and group commit.
 *
 * Group commit: the first write request of an event-loop turn on a
 * database opens a transaction (BEGIN IMMEDIATE); each write request runs
 * inside its own SAVEPOINT so that a failing request undoes only itself;
 * at the end of the turn db_commit_all() fdatasyncs the turn's new message
 * files (back to back, so the first journal commit carries them all),
 * fsyncs their directory, COMMITs every database written (WAL,
 * synchronous=FULL: one fsync each), then unlinks the files expunges
 * freed. Replies are sent only after that (chan.c), so nothing is
 * acknowledged before it is durable.
 *
 * A full disk (or an I/O error) is not fatal: a request that cannot write
 * fails alone (IPC_ERR_NOSPACE); a turn whose fsync or commit fails is
 * rolled back and every reply that would have acknowledged it becomes an
 * error; reads go on, and writes succeed again once there is room.
 */
#ifndef CLOISTER_STORE_DB_H
#define CLOISTER_STORE_DB_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "msgfile.h"
#include "store_proto.h"

struct user;
struct chan;

/* A reply that acknowledges a write of this turn (failed if it is lost). */
struct db_ack {
	struct chan *ch;
	uint32_t reqid;
};

/* One slot per SQL statement in the code; the SQL sits at the call site. */
enum db_stmt {
	ST_BEGIN, ST_COMMIT, ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
	ST_META_GET, ST_META_SET,
	ST_MBOX_BY_NAME, ST_MBOX_BY_ID, ST_MBOX_LIST, ST_MBOX_INSERT,
	ST_MBOX_DELETE, ST_MBOX_TOMB, ST_MBOX_RENAME_SUB, ST_MBOX_SET_USE,
	ST_MBOX_SET_DETAIL,
	ST_MBOX_RECENT_COUNT, ST_MBOX_RECENT_CLAIM,
	ST_MBOX_COUNTERS, ST_MBOX_UIDNEXT, ST_MBOX_TOUCH, ST_MBOX_SUBTREE,
	ST_MBOX_TOMB_SINCE, ST_MBOX_CHANGED_SINCE,
	ST_SUB_LIST, ST_SUB_ADD, ST_SUB_DEL, ST_SUB_RENAME, ST_MBOX_SUB_TOUCH,
	ST_KW_LIST, ST_KW_ADD,
	ST_BLOB_FIND, ST_BLOB_INSERT, ST_BLOB_REF, ST_BLOB_UNREF, ST_BLOB_GET,
	ST_BLOB_DELETE, ST_BLOB_BY_ID, ST_BLOB_HAS_HASH, ST_BLOB_BY_EMAILID,
	ST_FTS_INSERT, ST_FTS_DELETE, ST_BLOBHDR_INSERT, ST_BLOBHDR_DELETE,
	ST_MSGID_GET, ST_MSGID_PUT,
	ST_MSG_INSERT, ST_MSG_GET, ST_MSG_RANGE, ST_MSG_RANGE_META, ST_MSG_RANGE_HDR,
	ST_MSG_SET_FLAGS, ST_MSG_DELETE, ST_MSG_CHANGED, ST_MSG_DELETED_IN,
	ST_MSG_ALL_IN, ST_MSG_MOVE_ALL, ST_MSG_BY_BLOB, ST_MSG_BY_THREAD,
	ST_MSG_EMAIL_CHANGED, ST_MSG_EMAIL_CREATED,
	ST_TOMB_INSERT, ST_TOMB_SINCE, ST_TOMB_EMAIL_SINCE, ST_TOMB_ALL_IN,
	ST_UPLOAD_FIND, ST_UPLOAD_PUT, ST_UPLOAD_EXPIRED, ST_UPLOAD_DELETE,
	ST_UPLOAD_HAS,
	ST_OBJ_GET, ST_OBJ_PUT, ST_OBJ_COUNT,
	ST_THREAD_COUNTS,
	ST_EMAIL_TOMB_PUT, ST_THREAD_NEW_EMAILS, ST_THREAD_GONE_EMAILS,
	ST_THREAD_UNKNOWN_GONE, ST_THREAD_LIVE, ST_THREAD_EXISTED,
	ST_THREAD_OF_CHANGED, ST_THREAD_OF_TOMB, ST_THREAD_OF_GONE,
	ST_THREAD_EMAILS,
	ST_SIEVE_LIST, ST_SIEVE_FIND, ST_SIEVE_SOURCE, ST_SIEVE_PROGRAM,
	ST_SIEVE_ACTIVE_PROGRAM, ST_SIEVE_COUNT, ST_SIEVE_PUT,
	ST_SIEVE_DEACTIVATE, ST_SIEVE_ACTIVATE, ST_SIEVE_DELETE, ST_SIEVE_RENAME,
	ST_SEEN_GET, ST_SEEN_PUT, ST_SEEN_PRUNE, ST_SEEN_EVICT,
	ST_SEEN_COUNT_INIT,
	ST_SNOOZE_PUT, ST_SNOOZE_DEL, ST_SNOOZE_GET, ST_SNOOZE_DUE, ST_SNOOZE_NEXT,
	ST_SNOOZE_COPIES, ST_SNOOZE_TOUCH,
	ST_COUNT
};

struct udb {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	struct user *u;             /* its owner (user.c); db.c never looks in */
	char name[STORE_USER_MAX + 1];   /* the user's, for the log */
	uint64_t id;                /* the user's registry id: its files */
	int dirfd;                  /* the user directory, for its fsync */
	bool txn;                   /* a transaction is open this turn */
	int *syncfds;               /* new message files, synced at commit */
	uint8_t (*synchash)[MSGFILE_HASH_LEN];   /* ... and their names */
	size_t nsync, capsync;
	struct db_ack *acks;        /* this turn's acknowledging replies */
	size_t nacks, capacks;
	bool marked_unclean;        /* meta.unclean = 1 written */
	bool in_sp;
	uint64_t modseq;            /* the user's counter (meta.modseq) */
	uint64_t sp_modseq;
	uint64_t undo_gen;          /* bumped when writes are rolled back: a
	                             * modseq may then be reused for others */
	struct thread_count_cache *tcc;   /* threadcount.c; freed with d */
	uint8_t (*unl)[MSGFILE_HASH_LEN];   /* files to unlink after commit */
	size_t nunl, capunl, sp_nunl;
	char kw[STORE_MAX_KEYWORDS][STORE_KEYWORD_MAX + 1];
	unsigned nkw;
	uint64_t sp_nkw;
	unsigned nkw_disk;          /* of them, rows the database had last read */
	unsigned nkw_lost_end;      /* != 0: bits nkw_disk.. to write back */
	bool dirty_listed;          /* on this turn's list of written dbs */
	struct udb *lru_prev, *lru_next, *dirty_next;
};

void db_init(unsigned cache_max);
/* The replies of a lost turn (db_note_ack) are turned into errors by fn;
 * the channel layer registers it, db.c never calls upward by name. */
typedef void (*db_ack_lost_fn)(struct chan *ch, uint32_t reqid,
    uint32_t code, const char *msg);
void db_on_ack_lost(db_ack_lost_fn fn);

/* A backup holds the store (freeze.c): writes wait, the cache is not
 * trimmed. One load and test of a global on the write path. */
extern bool db_frozen;

/* Open (and create) the database of user name (registry id) for owner,
 * into the cache; NULL on failure. user_db() (user.c) is the way in: it
 * reuses an open one and keeps owner->db. */
struct udb *db_open(struct user *owner, const char *name, uint64_t id);
/* d was used: most recently used in the cache. */
void db_touch(struct udb *d);
/* Close d cleanly (marked clean, out of the cache); its owner forgets it. */
void db_close(struct udb *d);
/* The database to close next to keep the cache in bound, or NULL (within
 * the bound, frozen, or the oldest is in a transaction). */
struct udb *db_lru_victim(void);
/* Close d at once (user deletion, a failed open): commits the turn first. */
void db_drop(struct udb *d);

/* The statement in slot, prepared once from sql, reset. NULL on error. */
sqlite3_stmt *db_stmt(struct udb *d, enum db_stmt slot, const char *sql);
/* Run a statement that returns no row (or ignore its rows); 0 or -1. */
int db_exec(sqlite3_stmt *st);
/* Log sqlite's message for d and return -IPC_ERR_INTERNAL. */
int db_fail(struct udb *d, const char *what);

/* Writes: begin (transaction of the turn + savepoint), end (release or
 * roll back this request only). */
int db_write_begin(struct udb *d);
/* 0, or -code when the turn's whole transaction was lost (turn_lost). */
int db_write_end(struct udb *d, bool ok);
/* Take the user's next modseq (within a write). */
uint64_t db_next_modseq(struct udb *d);
/* Return the modseq just taken, nothing having used it (a STORE that
 * changed nothing must not move the state). */
int db_give_back_modseq(struct udb *d, uint64_t modseq);
/* A new message file of this turn: fdatasync'd (and closed), with the
 * directory, before the turn's commit. */
int db_sync_later(struct udb *d, int fd, const uint8_t hash[MSGFILE_HASH_LEN]);
/* The reply to reqid on ch acknowledges a write of this turn to d. */
int db_note_ack(struct udb *d, struct chan *ch, uint32_t reqid);
/* Unlink this file after the commit (within a write). */
int db_unlink_later(struct udb *d, const uint8_t hash[MSGFILE_HASH_LEN]);

/* End of an event-loop turn: make every write of the turn durable. */
void db_commit_all(void);
bool db_dirty(void);
/* Freeze: commit, checkpoint (TRUNCATE) every open database; 0 or -1. */
int db_checkpoint_all(void);

/* Keywords: bit of name, created if create and room (-1 if none/full). */
int db_keyword_bit(struct udb *d, const char *name, size_t len, bool create);

#endif
