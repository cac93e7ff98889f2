/* blob: uploads and appends from a blob (see blob.h; handlers listed in
 * handlers.h). */
#include "blob.h"
#include "db.h"
#include "handlers.h"
#include "ipc.h"
#include "log.h"
#include "mailbox.h"
#include "message.h"
#include "quota.h"
#include "request.h"
#include "store_proto.h"
#include "user.h"
#include "wire.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The expiry of the user's upload of hash: 1 (*expires set), 0 none,
 * or an error. */
static int
upload_expiry(struct udb *d, const uint8_t hash[MSGFILE_HASH_LEN],
    int64_t *expires)
{
	sqlite3_stmt *st = db_stmt(d, ST_UPLOAD_FIND,
	    "SELECT expires FROM upload WHERE hash=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_blob(st, 1, hash, MSGFILE_HASH_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*expires = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 :
	    db_fail(d, "upload find");
}

uint32_t upload_ttl_s = UPLOAD_TTL_DEFAULT;

/* The storage quota an upload of size bytes takes while it lives. */
static int64_t
upload_charge(int64_t size)
{
	return size < UPLOAD_MIN_CHARGE ? UPLOAD_MIN_CHARGE : size;
}

int
upload_holds(struct udb *d, const uint8_t hash[MSGFILE_HASH_LEN])
{
	int64_t expires;
	return upload_expiry(d, hash, &expires);
}

/* Is hash the content of one of the user's messages? 1, 0 or an error. */
static int
message_holds(struct udb *d, const uint8_t hash[MSGFILE_HASH_LEN])
{
	sqlite3_stmt *st = db_stmt(d, ST_BLOB_HAS_HASH,
	    "SELECT 1 FROM blob WHERE emailid=? AND hash=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, msgfile_emailid(hash));
	sqlite3_bind_blob(st, 2, hash, MSGFILE_HASH_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 :
	    db_fail(d, "blob find");
}

int
blob_of_user(struct udb *d, const uint8_t hash[MSGFILE_HASH_LEN])
{
	int64_t expires = 0;
	int rc = message_holds(d, hash);
	if (rc == 0 && (rc = upload_expiry(d, hash, &expires)) == 1)
		rc = expires > (int64_t)time(NULL);
	return rc;
}

/* Drop expired uploads (within a write) but keep's (the hash the request
 * at hand stores or reads): their charge goes back, their file after the
 * commit unless a message has the same bytes. */
static int
upload_sweep(struct udb *d, const uint8_t keep[MSGFILE_HASH_LEN])
{
	uint8_t hash[UPLOAD_SWEEP_MAX][MSGFILE_HASH_LEN];
	int64_t size[UPLOAD_SWEEP_MAX];
	size_t n = 0;
	sqlite3_stmt *st = db_stmt(d, ST_UPLOAD_EXPIRED,
	    "SELECT hash, size FROM upload WHERE expires<=? LIMIT ?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_int(st, 2, UPLOAD_SWEEP_MAX);
	int rc;
	while (n < UPLOAD_SWEEP_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *h = sqlite3_column_blob(st, 0);
		if (h == NULL || sqlite3_column_bytes(st, 0) != MSGFILE_HASH_LEN ||
		    memcmp(h, keep, MSGFILE_HASH_LEN) == 0)
			continue;
		memcpy(hash[n], h, MSGFILE_HASH_LEN);
		size[n++] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	for (size_t i = 0; i < n; i++) {
		st = db_stmt(d, ST_UPLOAD_DELETE, "DELETE FROM upload WHERE hash=?");
		if (st == NULL)
			return db_fail(d, "prepare");
		sqlite3_bind_blob(st, 1, hash[i], MSGFILE_HASH_LEN, SQLITE_STATIC);
		if (db_exec(st) < 0)
			return db_fail(d, "upload delete");
		if ((rc = quota_add(d, -upload_charge(size[i]), 0)) < 0 ||
		    (rc = message_holds(d, hash[i])) < 0)
			return rc;
		if (rc == 0 && db_unlink_later(d, hash[i]) < 0)
			return -IPC_ERR_INTERNAL;
	}
	return 0;
}

/* Record (or renew) the upload of hash; charge it if it is new. */
static int
upload_put(struct req *r, const uint8_t hash[MSGFILE_HASH_LEN], uint64_t size)
{
	int rc = upload_holds(r->d, hash);
	if (rc < 0 || (rc == 0 &&
	    (rc = quota_add(r->d, upload_charge((int64_t)size), 0)) < 0))
		return rc;
	sqlite3_stmt *st = db_stmt(r->d, ST_UPLOAD_PUT,
	    "INSERT INTO upload(hash, size, expires) VALUES(?1, ?2, ?3)"
	    " ON CONFLICT(hash) DO UPDATE SET expires=?3");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_blob(st, 1, hash, MSGFILE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL) + upload_ttl_s);
	return db_exec(st) < 0 ? db_fail(r->d, "upload put") : 0;
}

int
h_blob_upload(struct req *r)
{
	uint64_t size;
	ipc_get_u64(&r->c, &size);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	struct stat sb;
	if (fstat(r->fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return req_fail(r, IPC_ERR_MALFORMED, "the fd is not a memfd");
	if (size > STORE_MSG_MAX)
		return req_fail(r, IPC_ERR_LIMIT, "upload size out of range");
	if ((uint64_t)sb.st_size != size)
		return req_fail(r, IPC_ERR_MALFORMED,
		    "the fd holds %lld bytes, not size", (long long)sb.st_size);
	struct udb *d = r->d;
	if ((rc = quota_check(r, d, (uint64_t)upload_charge((int64_t)size),
	    0)) < 0)
		return rc;
	uint8_t hash[MSGFILE_HASH_LEN];
	int syncfd;
	if (msgfile_store(d->u->id, r->fd, 0, size, hash, &syncfd) < 0) {
		int e = errno;
		log_err("user %s: storing an upload: %s", d->u->name, strerror(e));
		return req_fail(r, e == ENOSPC || e == EDQUOT ? IPC_ERR_NOSPACE :
		    e == EIO ? IPC_ERR_MALFORMED : IPC_ERR_INTERNAL,
		    "cannot store the upload");
	}
	if (syncfd >= 0 && db_sync_later(d, syncfd, hash) < 0) {
		close(syncfd);
		return req_fail(r, IPC_ERR_INTERNAL, "out of memory");
	}
	if ((rc = upload_sweep(d, hash)) < 0 ||
	    (rc = upload_put(r, hash, size)) < 0)
		return rc;
	ipc_put_bytes(r->rb, hash, sizeof(hash));
	ipc_put_u64(r->rb, size);
	return 0;
}

int
h_blob_append(struct req *r)
{
	uint64_t id;
	uint32_t metalen;
	const char *name;
	const uint8_t *hash;
	size_t len, n;
	struct mbox mb;
	wire_get_mbox_ref(&r->c, &id, &name, &len);
	ipc_get_bytes(&r->c, &hash, &n, MSGFILE_HASH_LEN);
	ipc_get_u32(&r->c, &metalen);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	if (n != MSGFILE_HASH_LEN)
		return req_fail(r, IPC_ERR_MALFORMED, "a blob id is 32 bytes");
	if ((rc = upload_sweep(r->d, hash)) < 0 ||
	    (rc = mailbox_ref(r, id, name, len, &mb)) < 0 ||
	    (rc = blob_of_user(r->d, hash)) < 0)
		return rc;
	if (rc == 0)
		return req_fail(r, IPC_ERR_NOTFOUND, "no such blob");
	int src = msgfile_open(r->d->u->id, hash);
	struct stat sb;
	if (src < 0 || fstat(src, &sb) < 0) {
		if (src >= 0)
			close(src);
		return req_fail(r, IPC_ERR_INTERNAL, "blob file missing");
	}
	rc = message_append_from(r, &mb, src, (uint64_t)sb.st_size, 0, metalen,
	    false);
	close(src);
	return rc;
}
