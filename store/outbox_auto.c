/* outbox_auto: the delivery right's outbox rules (see outbox_auto.h). */
#include "outbox_auto.h"
#include "ipc.h"
#include "log.h"
#include "request.h"
#include "user.h"

#include <string.h>
#include <time.h>

uint64_t outbox_delivery_per_day = OUTBOX_DELIVERY_PER_DAY_DEFAULT;
uint64_t outbox_delivery_per_day_shard = OUTBOX_DELIVERY_PER_DAY_SHARD_DEFAULT;

static sqlite3 *adb;
static int64_t pruned_day;     /* the counts before it are gone */

enum { A_GET, A_TOTAL, A_ADD, A_PRUNE, A_NSTMT };
static sqlite3_stmt *ast[A_NSTMT];
static const char *const asql[A_NSTMT] = {
	[A_GET] = "SELECT n FROM outbox_day WHERE user=? AND day=?",
	[A_TOTAL] = "SELECT coalesce(sum(n), 0) FROM outbox_day WHERE day=?",
	[A_ADD] = ("INSERT INTO outbox_day(user, day, n) VALUES(?, ?, 1)"
	    " ON CONFLICT(user, day) DO UPDATE SET n=n+1"),
	[A_PRUNE] = "DELETE FROM outbox_day WHERE day<?",
};

static int64_t
today(void)
{
	return (int64_t)time(NULL) / 86400;
}

/* Run statement i for (user, day) (user NULL: day only); *n the count it
 * selects, 0 if none. 0 or -IPC_ERR_INTERNAL. */
static int
run(int i, const char *user, int64_t day, uint64_t *n)
{
	sqlite3_stmt *st = ast[i];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	int col = 1;
	if (user != NULL)
		sqlite3_bind_text(st, col++, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, col, day);
	int rc = sqlite3_step(st);
	if (n != NULL)
		*n = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	log_err("outbox: daily counts: %s", sqlite3_errmsg(adb));
	return -IPC_ERR_INTERNAL;
}

void
outbox_auto_open(sqlite3 *db)
{
	adb = db;
	if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS outbox_day("
	    "user TEXT NOT NULL, day INTEGER NOT NULL, n INTEGER NOT NULL,"
	    " PRIMARY KEY(user, day)) WITHOUT ROWID", NULL, NULL, NULL) !=
	    SQLITE_OK)
		log_fatal("outbox: daily counts: %s", sqlite3_errmsg(db));
	for (int i = 0; i < A_NSTMT; i++)
		if (sqlite3_prepare_v3(db, asql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &ast[i], NULL) != SQLITE_OK)
			log_fatal("outbox: prepare: %s", sqlite3_errmsg(db));
	pruned_day = today();
	if (run(A_PRUNE, NULL, pruned_day, NULL) < 0)
		log_fatal("outbox: cannot prune the daily counts");
}

/* The user's own address, when the user's name is one. */
static bool
own_address(const char *user, const char *from, size_t flen)
{
	return strchr(user, '@') != NULL && strlen(user) == flen &&
	    memcmp(user, from, flen) == 0;
}

int
outbox_auto_check(struct req *r, const char *from, size_t flen,
    uint32_t nrcpts)
{
	if (flen > 0 && !own_address(r->u->name, from, flen))
		return req_fail(r, IPC_ERR_DENIED, "the delivery right queues"
		    " from <> or from the user's own address only");
	if (nrcpts != 1)
		return req_fail(r, IPC_ERR_LIMIT, "the delivery right queues"
		    " one recipient per message");
	uint64_t n, total;
	if (run(A_GET, r->u->name, today(), &n) < 0 ||
	    run(A_TOTAL, NULL, today(), &total) < 0)
		return req_fail(r, IPC_ERR_INTERNAL, "outbox: daily count");
	if (total >= outbox_delivery_per_day_shard) {
		log_warn("outbox: %llu messages queued at delivery today on this"
		    " shard, the limit (outbox-delivery-per-day-shard)",
		    (unsigned long long)total);
		return req_fail(r, IPC_ERR_LIMIT, "%llu messages queued at"
		    " delivery today on this shard", (unsigned long long)total);
	}
	if (n >= outbox_delivery_per_day) {
		log_warn("outbox: %s: %llu messages queued at delivery today,"
		    " the limit (outbox-delivery-per-day)", r->u->name,
		    (unsigned long long)n);
		return req_fail(r, IPC_ERR_LIMIT, "%s has queued %llu messages"
		    " at delivery today", r->u->name, (unsigned long long)n);
	}
	return 0;
}

int
outbox_auto_count(const char *user)
{
	int64_t day = today();
	if (day != pruned_day) {
		/* a new day: yesterday's counts count no more */
		if (run(A_PRUNE, NULL, day, NULL) < 0)
			return -IPC_ERR_INTERNAL;
		pruned_day = day;
	}
	return run(A_ADD, user, day, NULL);
}
