/* quota: usage in the user's database, limits from the registry (see
 * quota.h). */
#include "quota.h"
#include "request.h"
#include "db.h"
#include "ipc.h"
#include "registry.h"
#include "user.h"

struct quota_default quota_default = {
	QUOTA_DEFAULT_STORAGE, QUOTA_DEFAULT_MESSAGES,
};

static int
get(struct udb *d, const char *k, uint64_t *v)
{
	sqlite3_stmt *st = db_stmt(d, ST_META_GET, "SELECT v FROM meta WHERE k=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : db_fail(d, "meta");
}

int
quota_usage(struct udb *d, uint64_t *bytes, uint64_t *messages)
{
	int rc = get(d, "storage_used", bytes);
	return rc < 0 ? rc : get(d, "messages_used", messages);
}

static uint64_t shard_messages;

uint64_t
quota_shard_messages(void)
{
	return shard_messages;
}

static int
count_one(void *arg, const char *name, uint64_t id, uint64_t sl, uint64_t ml)
{
	(void)arg;
	(void)id;
	(void)sl;
	(void)ml;
	bool other;
	struct user *u = user_get(name, &other);
	if (u == NULL)
		return 0;
	struct udb *d = user_db(u);
	uint64_t b, m;
	if (d != NULL && quota_usage(d, &b, &m) == 0)
		shard_messages += m;
	user_release_db(u);
	return 0;
}

void
quota_count_shard(void)
{
	shard_messages = 0;
	registry_list(count_one, NULL);
}

int
quota_add(struct udb *d, int64_t dbytes, int64_t dmessages)
{
	/* ST_META_SET is "UPDATE meta SET v=? WHERE k=?": read, add, write */
	uint64_t b, m;
	int rc = quota_usage(d, &b, &m);
	if (rc < 0)
		return rc;
	sqlite3_stmt *st = db_stmt(d, ST_META_SET, "UPDATE meta SET v=? WHERE k=?");
	if (st == NULL)
		return db_fail(d, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(b + (uint64_t)dbytes));
	sqlite3_bind_text(st, 2, "storage_used", -1, SQLITE_STATIC);
	if (db_exec(st) < 0)
		return db_fail(d, "quota");
	st = db_stmt(d, ST_META_SET, "UPDATE meta SET v=? WHERE k=?");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(m + (uint64_t)dmessages));
	sqlite3_bind_text(st, 2, "messages_used", -1, SQLITE_STATIC);
	if (db_exec(st) < 0)
		return db_fail(d, "quota");
	shard_messages = dmessages < 0 && (uint64_t)-dmessages > shard_messages ? 0
	    : shard_messages + (uint64_t)dmessages;
	return 0;
}

int
quota_check(struct req *r, struct udb *d, uint64_t add_bytes,
    uint64_t add_messages)
{
	struct user *u = d->u;
	if (u->storage_limit == 0 && u->messages_limit == 0)
		return 0;
	uint64_t b, m;
	int rc = quota_usage(d, &b, &m);
	if (rc < 0)
		return rc;
	if (u->storage_limit != 0 && b + add_bytes > u->storage_limit)
		return req_fail(r, IPC_ERR_QUOTA, "over storage quota");
	if (u->messages_limit != 0 && m + add_messages > u->messages_limit)
		return req_fail(r, IPC_ERR_QUOTA, "over message count quota");
	return 0;
}

int
quota_put(struct buf *b, struct udb *d)
{
	uint64_t bytes, msgs;
	int rc = quota_usage(d, &bytes, &msgs);
	if (rc < 0)
		return rc;
	ipc_put_u64(b, bytes);
	ipc_put_u64(b, d->u->storage_limit);
	ipc_put_u64(b, msgs);
	ipc_put_u64(b, d->u->messages_limit);
	return 0;
}
