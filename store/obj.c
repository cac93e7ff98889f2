/* obj: per-user objects (handlers listed in handlers.h). A worker keeps a
 * small value under a key of its choosing (jmapd: its Identities and the
 * VacationResponse, as JSON); the store never parses it. A set names the
 * modseq of the value it replaces (0: there is none), so two sessions of
 * one user cannot lose each other's change: the second gets CONFLICT and
 * reads again. Every set takes the user's next modseq (the JMAP state)
 * and wakes the user's all-mailbox watchers (JMAP push) with mailbox id
 * STORE_NOTIFY_OBJECTS; a watcher of one mailbox (IMAP IDLE) never hears
 * of it. */
#include "request.h"
#include "db.h"
#include "handlers.h"
#include "ipc.h"
#include "notify.h"

#include <string.h>

/* 1..STORE_OBJ_KEY_MAX of [a-z0-9._-]. */
static int
key_arg(struct req *r, char *key)
{
	const char *k;
	size_t n;
	if (ipc_get_strp(&r->c, &k, &n, STORE_OBJ_KEY_MAX) < 0)
		return -1;
	if (n == 0)
		return req_fail(r, IPC_ERR_MALFORMED, "empty key");
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' &&
		    k[i] <= '9') || k[i] == '.' || k[i] == '_' || k[i] == '-'))
			return req_fail(r, IPC_ERR_MALFORMED, "bad key");
	memcpy(key, k, n);
	key[n] = '\0';
	return 0;
}

/* The object's modseq (0: none); its value into *v, *n when v is set. */
static int
obj_read(struct req *r, const char *key, uint64_t *modseq,
    const void **v, size_t *n)
{
	sqlite3_stmt *st = db_stmt(r->d, ST_OBJ_GET,
	    "SELECT v, modseq FROM objects WHERE k=?");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	*modseq = 0;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*modseq = (uint64_t)sqlite3_column_int64(st, 1);
		if (v != NULL) {
			*v = sqlite3_column_blob(st, 0);
			*n = (size_t)sqlite3_column_bytes(st, 0);
		}
		return 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(r->d, "object");
}

int
obj_reply(struct req *r, const char *key)
{
	uint64_t modseq;
	const void *v = NULL;
	size_t n = 0;
	int rc = obj_read(r, key, &modseq, &v, &n);
	if (rc < 0)
		return rc;
	ipc_put_u64(r->rb, modseq);
	ipc_put_bytes(r->rb, v ? v : "", n);
	sqlite3_reset(r->d->st[ST_OBJ_GET]);
	return 0;
}

int
h_obj_get(struct req *r)
{
	char key[STORE_OBJ_KEY_MAX + 1];
	int rc = key_arg(r, key);
	if (rc < 0 || (rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0)
		return rc;
	return obj_reply(r, key);
}

static int
obj_count(struct req *r, int64_t *count)
{
	sqlite3_stmt *st = db_stmt(r->d, ST_OBJ_COUNT,
	    "SELECT count(*) FROM objects");
	if (st == NULL || sqlite3_step(st) != SQLITE_ROW)
		return db_fail(r->d, "count objects");
	*count = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int
h_obj_set(struct req *r)
{
	char key[STORE_OBJ_KEY_MAX + 1];
	uint64_t expect;
	const uint8_t *v;
	size_t n;
	int rc = key_arg(r, key);
	ipc_get_u64(&r->c, &expect);
	ipc_get_bytes(&r->c, &v, &n, STORE_OBJ_MAX);
	if (rc < 0 || (rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0)
		return rc;
	return obj_put(r, key, expect, v, n);
}

int
obj_put(struct req *r, const char *key, uint64_t expect, const uint8_t *v,
    size_t n)
{
	uint64_t have;
	int64_t count = 0;
	int rc = obj_read(r, key, &have, NULL, NULL);
	if (rc < 0)
		return rc;
	sqlite3_reset(r->d->st[ST_OBJ_GET]);
	if (have != expect)
		return req_fail(r, IPC_ERR_CONFLICT, "changed since read");
	if (have == 0 && ((rc = obj_count(r, &count)) < 0 ||
	    count >= STORE_OBJ_KEYS))
		return rc < 0 ? rc : req_fail(r, IPC_ERR_LIMIT, "too many objects");
	uint64_t modseq = db_next_modseq(r->d);
	sqlite3_stmt *st = db_stmt(r->d, ST_OBJ_PUT,
	    "INSERT OR REPLACE INTO objects(k, v, modseq) VALUES(?, ?, ?)");
	if (st == NULL)
		return db_fail(r->d, "prepare");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, n ? (const void *)v : "", (int)n,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)modseq);
	if (db_exec(st) < 0)
		return db_fail(r->d, "set object");
	notify_changed(r->d, strcmp(key, NOTIFY_PUSHSUB_KEY) == 0 ?
	    NOTIFY_PUSHSUB : STORE_NOTIFY_OBJECTS, r->ch);
	ipc_put_u64(r->rb, modseq);
	return 0;
}
