/*
 * seen: a user's records of things seen at delivery (handlers.h): whom a
 * vacation reply answered (RFC 5230), what Sieve's duplicate test saw (RFC
 * 7352), which Message-ID a recipient already got. The worker hashes what
 * identifies the thing into a 32-byte key; the store keeps (kind, key),
 * when it was recorded and when it expires, and parses nothing. Expired
 * records go a batch at a time on every check and every delivery into a
 * mailbox by name, so the table holds the live records and a little; a
 * user's table is capped besides (the nearest to expiry go first), since
 * the delivery right can record without the user's say. The number of
 * rows is kept in meta ('seen_count', counted once when missing: a
 * database older than it), updated in the transaction that changes the
 * table, so the cap costs no count of the table per record.
 */
#include "request.h"
#include "db.h"
#include "handlers.h"
#include "ipc.h"

#include <time.h>

#define SEEN_PRUNE_BATCH 64
#define SEEN_MAX 50000                          /* records per user */
#define SEEN_LIFETIME_MAX (10ull * 366 * 86400) /* seconds */

/* The user's number of seen records: meta's, or counted (once) and
 * written there when meta has none. */
static int
seen_count(struct req *r, int64_t *n)
{
	sqlite3_stmt *st = db_stmt(r->d, ST_META_GET,
	    "SELECT v FROM meta WHERE k=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_text(st, 1, "seen_count", -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return db_fail(r->d, "seen count");
	st = db_stmt(r->d, ST_SEEN_COUNT_INIT,
	    "INSERT INTO meta(k, v) SELECT 'seen_count', count(*) FROM seen"
	    " RETURNING v");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : db_fail(r->d, "count seen");
}

static int
seen_count_set(struct req *r, int64_t n)
{
	sqlite3_stmt *st = db_stmt(r->d, ST_META_SET,
	    "UPDATE meta SET v=? WHERE k=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, n < 0 ? 0 : n);
	sqlite3_bind_text(st, 2, "seen_count", -1, SQLITE_STATIC);
	return db_exec(st) < 0 ? db_fail(r->d, "seen count") : 0;
}

/* The count is read before a statement changes the table: a count made
 * then (meta had none) is of the rows before it. */
int
seen_prune(struct req *r)
{
	int64_t n = 0;
	int rc = seen_count(r, &n);
	if (rc < 0)
		return rc;
	sqlite3_stmt *st = db_stmt(r->d, ST_SEEN_PRUNE,
	    "DELETE FROM seen WHERE (kind, key) IN (SELECT kind, key FROM seen"
	    " WHERE expires<=? ORDER BY expires LIMIT ?)");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_int(st, 2, SEEN_PRUNE_BATCH);
	if (db_exec(st) < 0)
		return db_fail(r->d, "prune seen");
	int gone = sqlite3_changes(r->d->db);
	return gone > 0 ? seen_count_set(r, n - gone) : 0;
}

/* The record of (kind, key), live or expired: 1 with its creation and
 * expiry, 0, or an error. */
static int
seen_get(struct req *r, uint32_t kind, const uint8_t *key, int64_t *created,
    int64_t *expires)
{
	sqlite3_stmt *st = db_stmt(r->d, ST_SEEN_GET,
	    "SELECT created, expires FROM seen WHERE kind=? AND key=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int(st, 1, (int)kind);
	sqlite3_bind_blob(st, 2, key, STORE_SEEN_KEY_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*created = sqlite3_column_int64(st, 0);
		*expires = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 :
	    db_fail(r->d, "seen");
}

/* Over the cap (n records): the records nearest their end make room;
 * the count left in *n. */
static int
seen_evict(struct req *r, int64_t *n)
{
	if (*n <= SEEN_MAX)
		return 0;
	/* the expires condition lets SQLite find the rows by the index; by
	 * (kind, key) alone it tests every row of the kind */
	sqlite3_stmt *st = db_stmt(r->d, ST_SEEN_EVICT,
	    "DELETE FROM seen WHERE expires IN (SELECT expires FROM seen"
	    " ORDER BY expires LIMIT ?1) AND (kind, key) IN (SELECT kind, key"
	    " FROM seen ORDER BY expires LIMIT ?1)");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int64(st, 1, *n - SEEN_MAX);
	if (db_exec(st) < 0)
		return db_fail(r->d, "evict seen");
	*n -= sqlite3_changes(r->d->db);
	return 0;
}

/* Record (kind, key) now; existed: a row of it is there already (expired,
 * or older than the window asked), which this one replaces. */
static int
seen_put(struct req *r, uint32_t kind, const uint8_t *key, int64_t now,
    uint64_t seconds, bool existed)
{
	int64_t n = 0;
	int rc = seen_count(r, &n);
	if (rc < 0)
		return rc;
	sqlite3_stmt *st = db_stmt(r->d, ST_SEEN_PUT,
	    "INSERT OR REPLACE INTO seen(kind, key, created, expires)"
	    " VALUES(?, ?, ?, ?)");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_int(st, 1, (int)kind);
	sqlite3_bind_blob(st, 2, key, STORE_SEEN_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, now + (int64_t)seconds);
	if (db_exec(st) < 0)
		return db_fail(r->d, "record seen");
	n += existed ? 0 : 1;
	if ((rc = seen_evict(r, &n)) < 0)
		return rc;
	return seen_count_set(r, n);
}

static bool
seen_args_ok(uint32_t kind, size_t klen, uint64_t seconds)
{
	return kind >= STORE_SEEN_KIND_MIN && kind <= STORE_SEEN_KIND_MAX &&
	    klen == STORE_SEEN_KEY_LEN && seconds > 0 &&
	    seconds <= SEEN_LIFETIME_MAX;
}

/* Whether (kind, key) was recorded less than seconds ago: 1, 0, or an
 * error; with record, one not seen is recorded now. */
static int
seen_test(struct req *r, uint32_t kind, const uint8_t *key, uint64_t seconds,
    bool record)
{
	int64_t now = (int64_t)time(NULL), created = 0, expires = 0;
	int rc = seen_get(r, kind, key, &created, &expires);
	if (rc < 0)
		return rc;
	bool existed = rc == 1;
	bool seen = existed && expires > now && created > now - (int64_t)seconds;
	if (!seen && record &&
	    (rc = seen_put(r, kind, key, now, seconds, existed)) < 0)
		return rc;
	return seen ? 1 : 0;
}

int
seen_parse_recs(struct req *r, struct seen_rec *recs, uint32_t *n)
{
	*n = 0;
	uint32_t want = 0;
	if (ipc_get_u32(&r->c, &want) < 0 || want > STORE_DELIVER_SEEN_MAX)
		return req_fail(r, IPC_ERR_MALFORMED, "at most %d seen records",
		    STORE_DELIVER_SEEN_MAX);
	for (uint32_t i = 0; i < want; i++) {
		size_t klen = 0;
		ipc_get_u32(&r->c, &recs[i].kind);
		ipc_get_bytes(&r->c, &recs[i].key, &klen, STORE_SEEN_KEY_LEN);
		ipc_get_u64(&r->c, &recs[i].seconds);
		recs[i].if_new = (recs[i].kind & STORE_SEEN_IF_NEW) != 0;
		recs[i].kind &= ~STORE_SEEN_IF_NEW;
		if (r->c.failed || !seen_args_ok(recs[i].kind, klen,
		    recs[i].seconds))
			return req_fail(r, IPC_ERR_MALFORMED, "bad seen record");
	}
	*n = want;
	return 0;
}

int
seen_refuse_known(struct req *r, const struct seen_rec *recs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (!recs[i].if_new)
			continue;
		int rc = seen_test(r, recs[i].kind, recs[i].key, recs[i].seconds,
		    false);
		if (rc != 0)
			return rc < 0 ? rc : req_fail(r, IPC_ERR_EXISTS,
			    "delivered already (a seen record of kind %u)",
			    recs[i].kind);
	}
	return 0;
}

int
seen_record_all(struct req *r, const struct seen_rec *recs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		int rc = seen_test(r, recs[i].kind, recs[i].key, recs[i].seconds,
		    true);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* user, u32 kind, bytes key (32), u64 seconds, u32 record -> u32 seen. */
int
h_seen_check(struct req *r)
{
	const char *user;
	const uint8_t *key;
	size_t ulen, klen;
	uint32_t kind, record;
	uint64_t seconds;
	ipc_get_strp(&r->c, &user, &ulen, STORE_USER_MAX);
	ipc_get_u32(&r->c, &kind);
	ipc_get_bytes(&r->c, &key, &klen, STORE_SEEN_KEY_LEN);
	ipc_get_u64(&r->c, &seconds);
	ipc_get_u32(&r->c, &record);
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if (!seen_args_ok(kind, klen, seconds) || record > 1)
		return req_fail(r, IPC_ERR_MALFORMED, "bad kind, key, lifetime"
		    " or record field");
	if ((rc = delivery_user_for(r, IPC_STORE_SEEN_CHECK, user, ulen)) < 0 ||
	    (rc = seen_prune(r)) < 0 ||
	    (rc = seen_test(r, kind, key, seconds, record != 0)) < 0)
		return rc;
	ipc_put_u32(r->rb, (uint32_t)rc);
	return 0;
}
