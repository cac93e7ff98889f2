/* schema: user and registry tables (see schema.h). */
#include "schema.h"
#include "log.h"

#include <stdio.h>
#include <time.h>

/* Exclusive locking: one stored process owns a shard's databases, so the
 * WAL index lives in heap memory (no -shm file, no lock syscalls per
 * transaction). synchronous=FULL: a commit is on disk when COMMIT returns.
 * Temp data in memory: there is no /tmp in the chroot. */
static const char pragmas[] =
	"PRAGMA locking_mode=EXCLUSIVE;"
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;"
	"PRAGMA temp_store=MEMORY;"
	"PRAGMA cache_size=-4096;"
	"PRAGMA mmap_size=536870912;"
	"PRAGMA foreign_keys=OFF;";

/*
 * mailboxes.first_recent: the first UID no read-write session has seen yet
 * (IMAP4rev1 \Recent); a SELECT claims the UIDs from it to UIDNEXT.
 * mailboxes.detail: may user+detail delivery put mail here (the admin's
 * opt-in, cloisterctl): 0 no (it goes to INBOX), 1 yes, 2 yes although the
 * mailbox has a special use (forced). See mailbox_set_detail.
 *
 * meta: modseq (the user's counter and JMAP state), unclean (1 while open
 * for writing: sweep orphan files at the next open), storage_used,
 * messages_used (quota), next_thread, uidv_last, seen_count (rows of
 * seen, added at their first record: seen.c).
 *
 * blob: one row per distinct message content in this user's database:
 * what FETCH needs of what the worker parsed, a reference count, the
 * thread; emailid = first 8 bytes of the sha256. blobhdr (same id): the
 * fields only SEARCH and SORT read, apart so that fetch rows stay small
 * and header scans read only header pages; the view blobs joins the two.
 * msgs: one row per message in a mailbox.
 * upload: JMAP uploads (RFC 8620 section 6.1) by content hash, their
 * size (charged to the quota) and when they expire (store/blob.c).
 * tomb: expunged (mailbox, uid) with the modseq of the expunge (QRESYNC
 * VANISHED, JMAP destroyed) and the copy's created_modseq (NULL in rows
 * older than schema 7).
 * email_tomb: the thread of each email whose last copy is gone and the
 * modseq then (JMAP Thread/changes; emails gone before this table existed
 * are not in it, and a state before them cannot be answered).
 * objects: small values a worker keeps for the user under a key (jmapd's
 * Identities and VacationResponse), opaque to the store, with the modseq
 * of their last change (obj.c).
 * sieve: the user's Sieve scripts, each its source and the program the
 * client compiled from it, both opaque; at most one active (the partial
 * unique index), sizes and modification time (sieve_script.c).
 * seen: records of things seen at delivery (vacation replies, duplicates)
 * by kind and a 32-byte key the worker hashed; created and expires in
 * unix seconds, expired rows pruned (seen.c).
 */
#define SIEVE_TABLES \
	"CREATE TABLE sieve(name TEXT PRIMARY KEY, source BLOB NOT NULL," \
	" program BLOB NOT NULL, active INTEGER NOT NULL DEFAULT 0," \
	" srcsize INTEGER NOT NULL, progsize INTEGER NOT NULL," \
	" modified INTEGER NOT NULL) WITHOUT ROWID;" \
	"CREATE UNIQUE INDEX sieve_one_active ON sieve(active) WHERE active=1;" \
	"CREATE TABLE seen(kind INTEGER NOT NULL, key BLOB NOT NULL," \
	" created INTEGER NOT NULL, expires INTEGER NOT NULL," \
	" PRIMARY KEY(kind, key)) WITHOUT ROWID;" \
	"CREATE INDEX seen_expires ON seen(expires);"

/* Snoozed emails (snooze.c): one row per email, woken at `until` (unix
 * seconds); mailbox 0 = INBOX; the flags to add and remove then, as
 * space-separated IMAP flag names; placed: the email was in a \Snoozed
 * mailbox when snoozed. */
#define SNOOZE_TABLES \
	"CREATE TABLE snooze(emailid INTEGER PRIMARY KEY," \
	" until INTEGER NOT NULL, mailbox INTEGER NOT NULL," \
	" addflags TEXT NOT NULL, rmflags TEXT NOT NULL," \
	" placed INTEGER NOT NULL);" \
	"CREATE INDEX snooze_until ON snooze(until);"

static const char user_schema[] =
	"BEGIN;"
	"CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO meta VALUES('modseq',1),('unclean',0),('storage_used',0),"
	" ('messages_used',0),('next_thread',1),('uidv_last',0);"
	"CREATE TABLE mailboxes(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL UNIQUE, uidvalidity INTEGER NOT NULL,"
	" uidnext INTEGER NOT NULL, modseq INTEGER NOT NULL,"
	" created_modseq INTEGER NOT NULL, use INTEGER NOT NULL,"
	" messages INTEGER NOT NULL DEFAULT 0, unseen INTEGER NOT NULL DEFAULT 0,"
	" deleted INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL DEFAULT 0,"
	" first_recent INTEGER NOT NULL DEFAULT 1,"
	" detail INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE mailbox_tomb(id INTEGER PRIMARY KEY, modseq INTEGER NOT NULL);"
	"CREATE TABLE subs(name TEXT PRIMARY KEY) WITHOUT ROWID;"
	"CREATE TABLE keywords(bit INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	"CREATE TABLE blob(id INTEGER PRIMARY KEY, emailid INTEGER NOT NULL,"
	" hash BLOB NOT NULL, size INTEGER NOT NULL, refs INTEGER NOT NULL,"
	" thread INTEGER NOT NULL, sentdate INTEGER NOT NULL, info INTEGER NOT NULL,"
	" envelope BLOB, bodystructure BLOB, body BLOB, preview BLOB,"
	" metalen INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE blobhdr(id INTEGER PRIMARY KEY,"
	" hfrom TEXT, hto TEXT, hcc TEXT, hbcc TEXT, hsubject TEXT, msgid TEXT,"
	" inreplyto TEXT, hrefs TEXT, sort_subject TEXT, sort_from TEXT,"
	" sort_to TEXT, sort_cc TEXT, disp_from TEXT, disp_to TEXT, headers BLOB);"
	/* for people and tests inspecting a database: one row per content */
	"CREATE VIEW blobs AS SELECT b.*, h.hfrom, h.hto, h.hcc, h.hbcc,"
	" h.hsubject, h.msgid, h.inreplyto, h.hrefs, h.sort_subject, h.sort_from,"
	" h.sort_to, h.sort_cc, h.disp_from, h.disp_to, h.headers FROM blob b"
	" LEFT JOIN blobhdr h ON h.id=b.id;"
	"CREATE INDEX blobs_emailid ON blob(emailid);"
	"CREATE INDEX blobs_thread ON blob(thread);"
	"CREATE TABLE msgs(mailbox INTEGER NOT NULL, uid INTEGER NOT NULL,"
	" blob INTEGER NOT NULL, flags INTEGER NOT NULL, kw INTEGER NOT NULL,"
	" modseq INTEGER NOT NULL, internaldate INTEGER NOT NULL,"
	" tzoff INTEGER NOT NULL, savedate INTEGER NOT NULL,"
	" created_modseq INTEGER NOT NULL,"
	" PRIMARY KEY(mailbox, uid)) WITHOUT ROWID;"
	"CREATE INDEX msgs_modseq ON msgs(mailbox, modseq);"
	"CREATE INDEX msgs_umodseq ON msgs(modseq);"
	"CREATE INDEX msgs_blob ON msgs(blob);"
	"CREATE TABLE tomb(mailbox INTEGER NOT NULL, uid INTEGER NOT NULL,"
	" modseq INTEGER NOT NULL, emailid INTEGER NOT NULL,"
	" created_modseq INTEGER,"
	" PRIMARY KEY(mailbox, uid)) WITHOUT ROWID;"
	"CREATE INDEX tomb_modseq ON tomb(mailbox, modseq);"
	"CREATE INDEX tomb_umodseq ON tomb(modseq);"
	"CREATE INDEX tomb_emailid ON tomb(emailid);"
	"CREATE TABLE msgids(msgid TEXT PRIMARY KEY, thread INTEGER NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE VIRTUAL TABLE fts USING fts5(hdr, body,"
	" tokenize='unicode61 remove_diacritics 2');"
	"CREATE TABLE upload(hash BLOB PRIMARY KEY, size INTEGER NOT NULL,"
	" expires INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX upload_expires ON upload(expires);"
	"CREATE TABLE objects(k TEXT PRIMARY KEY, v BLOB NOT NULL,"
	" modseq INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE email_tomb(emailid INTEGER PRIMARY KEY,"
	" thread INTEGER NOT NULL, modseq INTEGER NOT NULL);"
	"CREATE INDEX email_tomb_modseq ON email_tomb(modseq);"
	"CREATE INDEX email_tomb_thread ON email_tomb(thread);"
	SIEVE_TABLES
	SNOOZE_TABLES
	"PRAGMA user_version=9;"
	"COMMIT;";

/* The outbox submitd sends (store/outbox.c): state is enum outbox_state,
 * rcpts the recipients NUL-terminated one after the other. */
#define OUTBOX_SCHEMA \
	"CREATE TABLE outbox(id INTEGER PRIMARY KEY AUTOINCREMENT," \
	" user TEXT NOT NULL, mail_from TEXT NOT NULL, rcpts BLOB NOT NULL," \
	" size INTEGER NOT NULL, send_at INTEGER NOT NULL," \
	" state INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0," \
	" next_try INTEGER NOT NULL, reply TEXT NOT NULL DEFAULT ''," \
	" created INTEGER NOT NULL);" \
	"CREATE INDEX outbox_due ON outbox(state, next_try);" \
	"CREATE INDEX outbox_user ON outbox(user, state);"

/* JMAP EmailSubmission (store/outbox_jmap.c): meta is the submission's
 * own fields (opaque; empty for entries no user session made), modseq and
 * cmodseq the outbox change counter at the last change and at creation,
 * hidden a destroyed EmailSubmission whose entry may still be sent,
 * done_at when it was sent, failed or canceled (0: not yet). */
#define OUTBOX_JMAP_COLUMNS \
	"ALTER TABLE outbox ADD COLUMN meta BLOB NOT NULL DEFAULT x'';" \
	"ALTER TABLE outbox ADD COLUMN modseq INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE outbox ADD COLUMN cmodseq INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE outbox ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE outbox ADD COLUMN done_at INTEGER NOT NULL DEFAULT 0;" \
	"CREATE INDEX outbox_mod ON outbox(user, modseq);"

/* Per recipient of an entry (store/outbox_status.c): rstatus holds one
 * record per recipient, in rcpts order, each its delivered byte (enum
 * store_outbox_delivered), the relay's reply to it and a NUL; dsn the
 * content ids (32 bytes each, at most STORE_OUTBOX_REPORTS_MAX) of the
 * delivery status notifications delivered back to the user about it; msgid
 * the message's Message-ID, which names it to a disposition notification
 * (MDN); mdn the content ids of those, displayed one byte per recipient
 * ('y': an MDN said displayed). */
#define OUTBOX_STATUS_COLUMNS \
	"ALTER TABLE outbox ADD COLUMN rstatus BLOB NOT NULL DEFAULT x'';" \
	"ALTER TABLE outbox ADD COLUMN dsn BLOB NOT NULL DEFAULT x'';" \
	"ALTER TABLE outbox ADD COLUMN msgid TEXT NOT NULL DEFAULT '';" \
	"ALTER TABLE outbox ADD COLUMN mdn BLOB NOT NULL DEFAULT x'';" \
	"ALTER TABLE outbox ADD COLUMN displayed BLOB NOT NULL DEFAULT x'';" \
	"CREATE INDEX outbox_msgid ON outbox(user, msgid);"

static const char registry_schema[] =
	"BEGIN;"
	"CREATE TABLE users(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL UNIQUE, storage_limit INTEGER NOT NULL DEFAULT 0,"
	" messages_limit INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
	OUTBOX_SCHEMA
	OUTBOX_JMAP_COLUMNS
	OUTBOX_STATUS_COLUMNS
	"PRAGMA user_version=4;"
	"COMMIT;";

/* Upgrades of a registry, as user_upgrade below. */
static const char *const registry_upgrade[REGISTRY_SCHEMA_VERSION] = {
	/* the outbox submitd sends (store/outbox.c) */
	[1] = "BEGIN;"
	    OUTBOX_SCHEMA
	    "PRAGMA user_version=2;"
	    "COMMIT;",
	/* JMAP EmailSubmission on the outbox */
	[2] = "BEGIN;"
	    OUTBOX_JMAP_COLUMNS
	    "PRAGMA user_version=3;"
	    "COMMIT;",
	/* per-recipient delivery status, DSN and MDN links */
	[3] = "BEGIN;"
	    OUTBOX_STATUS_COLUMNS
	    "PRAGMA user_version=4;"
	    "COMMIT;",
};

static int
version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Upgrades of a user database: upgrade[v] takes version v to v + 1, in
 * one transaction. Every schema change adds one and bumps the version. */
static const char *const user_upgrade[USER_SCHEMA_VERSION] = {
	[1] = "BEGIN;"
	    "ALTER TABLE mailboxes ADD COLUMN first_recent INTEGER NOT NULL"
	    " DEFAULT 1;"
	    "UPDATE mailboxes SET first_recent=uidnext;"  /* nothing new yet */
	    "PRAGMA user_version=2;"
	    "COMMIT;",
	/* +detail delivery becomes opt-in per mailbox: none is opted in */
	[2] = "BEGIN;"
	    "ALTER TABLE mailboxes ADD COLUMN detail INTEGER NOT NULL DEFAULT 0;"
	    "PRAGMA user_version=3;"
	    "COMMIT;",
	/* the metadata a message brought is charged to the quota too;
	 * messages stored before count their size alone */
	[3] = "BEGIN;"
	    "ALTER TABLE blob ADD COLUMN metalen INTEGER NOT NULL DEFAULT 0;"
	    "PRAGMA user_version=4;"
	    "COMMIT;",
	/* JMAP uploads (store/blob.c) */
	[4] = "BEGIN;"
	    "CREATE TABLE upload(hash BLOB PRIMARY KEY, size INTEGER NOT NULL,"
	    " expires INTEGER NOT NULL) WITHOUT ROWID;"
	    "CREATE INDEX upload_expires ON upload(expires);"
	    "PRAGMA user_version=5;"
	    "COMMIT;",
	/* per-user objects the store keeps opaque (JMAP Identity, ...) */
	[5] = "BEGIN;"
	    "CREATE TABLE objects(k TEXT PRIMARY KEY, v BLOB NOT NULL,"
	    " modseq INTEGER NOT NULL) WITHOUT ROWID;"
	    "PRAGMA user_version=6;"
	    "COMMIT;",
	/* the threads of destroyed emails, when expunged copies were made
	 * (JMAP Thread/changes) */
	[6] = "BEGIN;"
	    "ALTER TABLE tomb ADD COLUMN created_modseq INTEGER;"
	    "CREATE INDEX tomb_emailid ON tomb(emailid);"
	    "CREATE TABLE email_tomb(emailid INTEGER PRIMARY KEY,"
	    " thread INTEGER NOT NULL, modseq INTEGER NOT NULL);"
	    "CREATE INDEX email_tomb_modseq ON email_tomb(modseq);"
	    "CREATE INDEX email_tomb_thread ON email_tomb(thread);"
	    "PRAGMA user_version=7;"
	    "COMMIT;",
	/* Sieve scripts and seen records (sieve_script.c, seen.c) */
	[7] = "BEGIN;"
	    SIEVE_TABLES
	    "PRAGMA user_version=8;"
	    "COMMIT;",
	/* snoozed emails (snooze.c) */
	[8] = "BEGIN;"
	    SNOOZE_TABLES
	    "PRAGMA user_version=9;"
	    "COMMIT;",
};

static int
open_common(sqlite3 *db, const char *path, const char *schema,
    int want, const char *const *upgrade)
{
	char *err = NULL;
	if (sqlite3_exec(db, pragmas, NULL, NULL, &err) != SQLITE_OK) {
		log_err("%s: %s", path, err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	int v = version(db);
	if (v == 0) {
		if (sqlite3_exec(db, schema, NULL, NULL, &err) != SQLITE_OK) {
			log_err("%s: creating schema: %s", path,
			    err ? err : sqlite3_errmsg(db));
			sqlite3_free(err);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		v = want;
	}
	while (v > 0 && v < want && upgrade != NULL && upgrade[v] != NULL) {
		if (sqlite3_exec(db, upgrade[v], NULL, NULL, &err) != SQLITE_OK) {
			log_err("%s: upgrading schema %d to %d: %s", path, v,
			    v + 1, err ? err : sqlite3_errmsg(db));
			sqlite3_free(err);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		log_info("%s: schema upgraded from version %d to %d", path, v,
		    v + 1);
		v = version(db);
	}
	if (v != want) {
		log_err("%s: schema version %d, this stored knows %d", path, v,
		    want);
		return -1;
	}
	return 0;
}

int
schema_open_user(sqlite3 *db, const char *path)
{
	return open_common(db, path, user_schema, USER_SCHEMA_VERSION,
	    user_upgrade);
}

int
schema_open_registry(sqlite3 *db, const char *path)
{
	return open_common(db, path, registry_schema, REGISTRY_SCHEMA_VERSION,
	    registry_upgrade);
}
