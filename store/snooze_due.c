/* snooze_due: the shard's index of due snoozes and its timer (see
 * snooze.h). */
#include "snooze.h"
#include "budget.h"
#include "db.h"
#include "ipc.h"
#include "log.h"
#include "registry.h"
#include "user.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define USERS_PER_FIRE 32      /* users woken per timer event */
#define RETRY_S 30             /* a user's, after a failed wake-up */

static int tfd = -1;
static int tag;                /* its address marks the timer's events */
static time_t retry_at;        /* no firing before this (a freeze) */

enum { D_NOTE, D_SET, D_DEL, D_NEXT, D_DUE, D_N };
static sqlite3_stmt *dst[D_N];
static const char *const dsql[D_N] = {
	[D_NOTE] = "INSERT INTO snooze_due(user, due) VALUES(?, ?)"
	    " ON CONFLICT(user) DO UPDATE SET due=min(due, excluded.due)",
	[D_SET] = "UPDATE snooze_due SET due=? WHERE user=?",
	[D_DEL] = "DELETE FROM snooze_due WHERE user=?",
	[D_NEXT] = "SELECT min(due) FROM snooze_due",
	[D_DUE] = "SELECT s.user, u.name FROM snooze_due s LEFT JOIN users u"
	    " ON u.id=s.user WHERE s.due<=? ORDER BY s.due LIMIT 32",
};

/* Users woken this turn, for the index after the commit. */
static struct woken {
	char name[STORE_USER_MAX + 1];
	uint64_t id;
	bool failed;
} woken[USERS_PER_FIRE];
static size_t nwoken;

static sqlite3_stmt *
stmt(int i)
{
	sqlite3_reset(dst[i]);
	sqlite3_clear_bindings(dst[i]);
	return dst[i];
}

static int
step_done(sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	log_err("snooze index: %s: %s", what, sqlite3_errmsg(registry_db()));
	return -1;
}

/* The wall clock as the timer reads it: time() is the coarse clock,
 * which may still show the last second when the timer fires. */
time_t
snooze_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

void *
snooze_due_tag(void)
{
	return &tag;
}

/* Snoozes set this turn, written to the index in one transaction
 * before the turn's commit (one fsync a turn, however many requests);
 * kept, and counted by the timer, while the registry cannot take them. */
static struct note {
	uint64_t id;
	int64_t until;
} *notes;
static size_t nnotes, capnotes;

/* The timer at the earliest due time (never before retry_at), or off. */
static void
arm(void)
{
	sqlite3_stmt *st = stmt(D_NEXT);
	int64_t due = 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		due = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	for (size_t i = 0; i < nnotes; i++)
		if (due == 0 || notes[i].until < due)
			due = notes[i].until;
	struct itimerspec its;
	memset(&its, 0, sizeof(its));
	if (due > 0)
		its.it_value.tv_sec = due < retry_at ? retry_at : (time_t)due;
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_fatal_errno("snooze timer");
}

void
snooze_due_init(int ep)
{
	sqlite3 *rdb = registry_db();
	char *err = NULL;
	if (sqlite3_exec(rdb, "CREATE TABLE IF NOT EXISTS snooze_due("
	    "user INTEGER PRIMARY KEY, due INTEGER NOT NULL);"
	    "CREATE INDEX IF NOT EXISTS snooze_due_due ON snooze_due(due);",
	    NULL, NULL, &err) != SQLITE_OK)
		log_fatal("snooze index: %s", err ? err : sqlite3_errmsg(rdb));
	for (int i = 0; i < D_N; i++)
		if (sqlite3_prepare_v3(rdb, dsql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &dst[i], NULL) != SQLITE_OK)
			log_fatal("snooze index: prepare: %s", sqlite3_errmsg(rdb));
	/* CLOCK_REALTIME, absolute: it fires when the wall clock reaches the
	 * due second, whatever the clock did meanwhile */
	tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0)
		log_fatal_errno("timerfd_create");
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &tag };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) < 0)
		log_fatal_errno("epoll_ctl snooze timer");
	arm();
}

int
snooze_due_note(uint64_t user_id, int64_t until)
{
	for (size_t i = 0; i < nnotes; i++)
		if (notes[i].id == user_id) {
			if (until < notes[i].until)
				notes[i].until = until;
			return 0;
		}
	if (nnotes == capnotes) {
		size_t cap = capnotes ? 2 * capnotes : 16;
		struct note *v = realloc(notes, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		notes = v;
		capnotes = cap;
	}
	notes[nnotes++] = (struct note){ user_id, until };
	return 0;
}

void
snooze_due_before_commit(void)
{
	if (nnotes == 0)
		return;
	sqlite3 *rdb = registry_db();
	bool ok = sqlite3_exec(rdb, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK;
	for (size_t i = 0; ok && i < nnotes; i++) {
		sqlite3_stmt *st = stmt(D_NOTE);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)notes[i].id);
		sqlite3_bind_int64(st, 2, notes[i].until);
		ok = step_done(st, "note") == 0;
	}
	if (ok && sqlite3_exec(rdb, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		ok = false;
	if (!ok) {
		/* the disk is full or failing: the notes stay and are
		 * written at a later turn's end (the timer counts them
		 * meanwhile, looking again once a second) */
		log_err("snooze index: %s", sqlite3_errmsg(rdb));
		sqlite3_exec(rdb, "ROLLBACK", NULL, NULL, NULL);
		retry_at = snooze_now() + 1;
	} else {
		nnotes = 0;
	}
	arm();
}

static void
wake_user(struct woken *w, int64_t now)
{
	bool other;
	struct user *u = user_get(w->name, &other);
	struct udb *d = u ? user_db(u) : NULL;
	if (d == NULL) {
		w->failed = true;
		return;
	}
	bool more = false;
	int rc = db_write_begin(d);
	if (rc == 0) {
		budget_begin();
		rc = snooze_wake_due(u, d, now, &more);
		budget_end();
		if (rc == 0 && budget_exceeded() != NULL)
			rc = -IPC_ERR_LIMIT;
		if (db_write_end(d, rc == 0) < 0)
			rc = -IPC_ERR_INTERNAL;
	}
	w->failed = rc < 0;
	user_maybe_free(u);
}

void
snooze_due_fired(void)
{
	uint64_t ticks;
	if (read(tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_fatal_errno("snooze timer read");
	time_t now = snooze_now();
	if (db_frozen || now < retry_at) {
		/* a backup holds the writes: look again in a second */
		retry_at = now + 1;
		arm();
		return;
	}
	sqlite3_stmt *st = stmt(D_DUE);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	while (nwoken < USERS_PER_FIRE && sqlite3_step(st) == SQLITE_ROW) {
		struct woken *w = &woken[nwoken];
		const char *name = (const char *)sqlite3_column_text(st, 1);
		w->id = (uint64_t)sqlite3_column_int64(st, 0);
		w->failed = false;
		w->name[0] = '\0';
		if (name != NULL)
			buf_strlcpy(w->name, sizeof(w->name), name, strlen(name));
		nwoken++;
	}
	sqlite3_reset(st);
	for (size_t i = 0; i < nwoken; i++)
		if (woken[i].name[0] != '\0')
			wake_user(&woken[i], now);
	if (nwoken == 0)
		arm();      /* early by the clock read below: again (one-shot) */
}

/* The index entry of one woken user, from its committed rows. */
static void
follow(const struct woken *w, time_t now)
{
	int64_t next = 0;
	if (w->name[0] != '\0') {      /* else a deleted user: the entry goes */
		bool other;
		struct user *u = user_get(w->name, &other);
		struct udb *d = u ? user_db(u) : NULL;
		next = d ? snooze_next(d) : -1;
		if (u != NULL)
			user_maybe_free(u);
	}
	if (next < 0 || (w->failed && next != 0 && next <= now)) {
		/* this user's entry waits; the other users' do not */
		log_warn("snooze: waking user %s failed; again in %d s",
		    w->name, RETRY_S);
		next = now + RETRY_S;
	}
	sqlite3_stmt *st = stmt(next == 0 ? D_DEL : D_SET);
	if (next == 0) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)w->id);
	} else {
		sqlite3_bind_int64(st, 1, next);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)w->id);
	}
	(void)step_done(st, "follow");
}

void
snooze_due_after_commit(void)
{
	if (nwoken == 0)
		return;
	time_t now = snooze_now();
	for (size_t i = 0; i < nwoken; i++)
		follow(&woken[i], now);
	nwoken = 0;
	arm();
}
