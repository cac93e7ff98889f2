/*
 * msgfile: the message files of a user, content-addressed and immutable.
 *
 *   data/s<shard>/u/<userid>/              the user's directory (and mail.db)
 *   data/s<shard>/u/<userid>/<sha256 hex>  one file per distinct message
 *
 * A file is written under a temporary name and linked to its hash; its data
 * and the directory are fsync'd (once per turn for all files, by db.c)
 * before the database transaction that names it commits, so a committed
 * row never names a file that a crash could lose. Paths are relative to
 * the chroot (the spool).
 *
 * Every stored instance runs under a uid of its own (worker-uids) and
 * reaches the spool through the group cloister-store: the directories are
 * setgid (their files take the group), stored's umask is 007, directories
 * are made 0770, message files 0640 and databases 0660 (sqlite gives the
 * -wal and -shm files the database's mode), so the next instance, under
 * another uid, reads and writes them all.
 */
#ifndef CLOISTER_STORE_MSGFILE_H
#define CLOISTER_STORE_MSGFILE_H

#include <stddef.h>
#include <stdint.h>

#define MSGFILE_HASH_LEN 32

/* The JMAP email id of a content hash: its first 8 bytes (the blob
 * table's key as well). */
static inline int64_t
msgfile_emailid(const uint8_t hash[MSGFILE_HASH_LEN])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | hash[i];
	return (int64_t)v;
}
#define MSGFILE_PATH_MAX 128

/* Load the digest before confinement (OpenSSL reads its config once). */
void msgfile_init(void);
/* The shard's directory ("data/s<shard>"), set once at start. */
void msgfile_set_root(unsigned shard);
const char *msgfile_root(void);

int msgfile_user_dir(uint64_t userid, char *out, size_t size);
int msgfile_path(uint64_t userid, const uint8_t hash[MSGFILE_HASH_LEN],
    char *out, size_t size);
void msgfile_hex(const uint8_t hash[MSGFILE_HASH_LEN], char out[65]);

#define MSGFILE_DIR_MODE 0770
#define MSGFILE_DB_MODE 0660

/* Create the user's directory (MSGFILE_DIR_MODE); 0 if it exists. */
int msgfile_mkdir(uint64_t userid);
/* Create the database file at path (MSGFILE_DB_MODE) if it is missing,
 * before sqlite opens it: sqlite would make it 0644 less the umask. */
int msgfile_db_precreate(const char *path);
/* Copy size bytes from offset 0 of src (pread: never mapped, a worker's
 * memfd could shrink under us) into the user's files, hashing on the way.
 * The file is written under a temporary name and linked to its hash name
 * (never renamed over an existing one, which may be the durable copy of
 * an acknowledged message). *syncfd is the new file, still to be
 * fdatasync'd before the commit that names it (db.c does it for the whole
 * turn at once: group commit), or -1 if the content was already there.
 * The bytes start at off in src (a migration batch holds many).
 * 0, or -1 with errno (EIO also if src was shorter than size). */
int msgfile_store(uint64_t userid, int src, uint64_t off, uint64_t size,
    uint8_t hash[MSGFILE_HASH_LEN], int *syncfd);
/* A read-only fd of a stored message, or -1. */
int msgfile_open(uint64_t userid, const uint8_t hash[MSGFILE_HASH_LEN]);
int msgfile_unlink(uint64_t userid, const uint8_t hash[MSGFILE_HASH_LEN]);
/* Remove temporary files and files for which referenced() says 0: the
 * leftovers of a crash between a file's rename and its commit (or between
 * an expunge's commit and its unlink). */
int msgfile_sweep(uint64_t userid,
    int (*referenced)(void *arg, const uint8_t hash[MSGFILE_HASH_LEN]),
    void *arg, unsigned *removed);
/* Remove a deleted user's directory and everything in it. */
int msgfile_remove_user(uint64_t userid);

#endif
