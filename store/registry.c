/* registry: the shard's users and quota limits (see registry.h). */
#include "registry.h"
#include "buf.h"
#include "ipc.h"
#include "log.h"
#include "msgfile.h"
#include "schema.h"
#include "store_proto.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static sqlite3 *rdb;
static unsigned my_shard, nshards = 1;

enum { R_LOOKUP, R_INSERT, R_DELETE, R_QUOTA, R_LIST, R_COUNT_USERS, R_HAS_ID,
	R_NSTMT };
static sqlite3_stmt *rst[R_NSTMT];
static const char *const rsql[R_NSTMT] = {
	[R_LOOKUP] = "SELECT id, storage_limit, messages_limit FROM users"
	    " WHERE name=?",
	[R_INSERT] = "INSERT INTO users(name, created) VALUES(?, ?)",
	[R_DELETE] = "DELETE FROM users WHERE id=?",
	[R_QUOTA] = "UPDATE users SET storage_limit=?, messages_limit=?"
	    " WHERE id=?",
	[R_LIST] = "SELECT name, id, storage_limit, messages_limit FROM users"
	    " ORDER BY name",
	[R_COUNT_USERS] = "SELECT count(*) FROM users",
	[R_HAS_ID] = "SELECT 1 FROM users WHERE id=?",
};

static sqlite3_stmt *
stmt(int i)
{
	sqlite3_reset(rst[i]);
	sqlite3_clear_bindings(rst[i]);
	return rst[i];
}

static int
rfail(const char *what)
{
	log_err("registry: %s: %s", what, sqlite3_errmsg(rdb));
	return -IPC_ERR_INTERNAL;
}

unsigned
registry_shard(void)
{
	return my_shard;
}

unsigned
registry_nshards(void)
{
	return nshards;
}

bool
registry_user_is_ours(const char *name)
{
	return store_shard_of(name, nshards) == my_shard;
}

static bool
has_id(uint64_t id)
{
	sqlite3_stmt *st = stmt(R_HAS_ID);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc != SQLITE_DONE;      /* on error: keep the directory */
}

/* Directories of users the registry does not name: a crash between a
 * deletion's commit and the removal of its files. Ids are never reused
 * (AUTOINCREMENT), so such a directory is garbage. */
static void
sweep_orphans(const char *udir)
{
	DIR *dir = opendir(udir);
	if (dir == NULL)
		log_fatal_errno("registry: %s", udir);
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		char *end;
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		errno = 0;
		unsigned long long id = strtoull(e->d_name, &end, 10);
		if (errno != 0 || *end != '\0' || has_id(id))
			continue;
		log_info("registry: removing the files of deleted user %llu", id);
		if (msgfile_remove_user(id) < 0)
			log_warn("registry: removing user %llu: %s", id,
			    strerror(errno));
	}
	closedir(dir);
}

void
registry_open(unsigned shard, unsigned shards)
{
	char root[64], udir[80], path[96];
	my_shard = shard;
	nshards = shards ? shards : 1;
	msgfile_set_root(shard);
	if (buf_snprintf(root, sizeof(root), "%s", msgfile_root()) < 0 ||
	    buf_snprintf(udir, sizeof(udir), "%s/u", root) < 0 ||
	    buf_snprintf(path, sizeof(path), "%s/registry.db", root) < 0)
		log_fatal("registry: path");
	if ((mkdir(root, MSGFILE_DIR_MODE) < 0 && errno != EEXIST) ||
	    (mkdir(udir, MSGFILE_DIR_MODE) < 0 && errno != EEXIST))
		log_fatal_errno("registry: mkdir %s", udir);
	if (msgfile_db_precreate(path) < 0)
		log_fatal_errno("registry: create %s", path);
	if (sqlite3_open_v2(path, &rdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    schema_open_registry(rdb, path) < 0)
		log_fatal("registry: cannot open %s: %s", path,
		    rdb ? sqlite3_errmsg(rdb) : "out of memory");
	for (int i = 0; i < R_NSTMT; i++)
		if (sqlite3_prepare_v3(rdb, rsql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &rst[i], NULL) != SQLITE_OK)
			log_fatal("registry: prepare: %s", sqlite3_errmsg(rdb));
	sweep_orphans(udir);
}

int
registry_lookup(const char *name, uint64_t *id, uint64_t *storage_limit,
    uint64_t *messages_limit)
{
	sqlite3_stmt *st = stmt(R_LOOKUP);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = (uint64_t)sqlite3_column_int64(st, 0);
		*storage_limit = (uint64_t)sqlite3_column_int64(st, 1);
		*messages_limit = (uint64_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	rfail("lookup");
	return -1;
}

int
registry_insert(const char *name, uint64_t *id)
{
	sqlite3_stmt *st = stmt(R_INSERT);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT)
		return -IPC_ERR_EXISTS;
	if (rc != SQLITE_DONE)
		return rfail("insert");
	*id = (uint64_t)sqlite3_last_insert_rowid(rdb);
	return 0;
}

int
registry_delete(uint64_t id)
{
	sqlite3_stmt *st = stmt(R_DELETE);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rfail("delete");
}

int
registry_set_quota(uint64_t id, uint64_t storage, uint64_t messages)
{
	if (storage > INT64_MAX || messages > INT64_MAX)
		return -IPC_ERR_LIMIT;
	sqlite3_stmt *st = stmt(R_QUOTA);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)storage);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)messages);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rfail("quota");
}

int
registry_list(int (*fn)(void *arg, const char *name, uint64_t id,
    uint64_t storage_limit, uint64_t messages_limit), void *arg)
{
	/* collect first: fn may use the registry (user_get) */
	struct ent {
		char *name;
		uint64_t id, sl, ml;
	} *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = stmt(R_LIST);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct ent *nv = realloc(v, cap * sizeof(*nv));
			if (nv == NULL)
				break;
			v = nv;
		}
		const char *name = (const char *)sqlite3_column_text(st, 0);
		v[n].name = strdup(name ? name : "");
		v[n].id = (uint64_t)sqlite3_column_int64(st, 1);
		v[n].sl = (uint64_t)sqlite3_column_int64(st, 2);
		v[n].ml = (uint64_t)sqlite3_column_int64(st, 3);
		if (v[n].name == NULL)
			break;
		n++;
	}
	sqlite3_reset(st);
	int r = rc == SQLITE_DONE ? 0 : rfail("list");
	for (size_t i = 0; i < n; i++) {
		if (r == 0)
			r = fn(arg, v[i].name, v[i].id, v[i].sl, v[i].ml);
		free(v[i].name);
	}
	free(v);
	return r;
}

uint64_t
registry_count(void)
{
	sqlite3_stmt *st = stmt(R_COUNT_USERS);
	uint64_t n = 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

sqlite3 *
registry_handle(void)
{
	return rdb;
}

int
registry_checkpoint(void)
{
	if (sqlite3_wal_checkpoint_v2(rdb, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
	    NULL) != SQLITE_OK)
		return rfail("checkpoint");
	return 0;
}
