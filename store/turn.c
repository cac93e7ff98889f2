/* turn: what every event-loop turn ends with, and the clean way out (see
 * stored.h); in the library so that the fuzz target runs the same code. */
#include "chan.h"
#include "db.h"
#include "freeze.h"
#include "notify.h"
#include "push.h"
#include "quota.h"
#include "registry.h"
#include "snooze.h"
#include "stats.h"
#include "stored.h"
#include "user.h"
#include "worker.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

/* Stats records at most once a second, and only after some activity
 * (an idle store sleeps in epoll_wait). */
static void
stats_tick(void)
{
	static time_t last;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);     /* vDSO: no syscall */
	if (ts.tv_sec == last)
		return;
	last = ts.tv_sec;
	stats_set_gauge(SG_USERS, registry_count());
	stats_set_gauge(SG_MESSAGES, quota_shard_messages());
	stats_flush();
}

void
stored_turn_end(void)
{
	if (chan_control_closed())
		stored_shutdown();
	freeze_tick();
	chan_early_reset();          /* before any flush frees a channel */
	/* group commit: every write of this turn made durable at once, then
	 * the replies that acknowledge them, then the wake-ups of watchers
	 * (a notification held behind a reply is sent by the next flush) */
	snooze_due_before_commit();  /* the index is never late */
	db_commit_all();
	snooze_due_after_commit();   /* the index follows committed rows */
	chan_flush_all();
	push_flush();
	chan_flush_all();
	/* long replies go on, a slice each, outside any write transaction:
	 * they see committed data only */
	chan_run_slices();
	chan_flush_all();
	user_trim();
	stats_tick();
}

static void
release_db(struct user *u, void *arg)
{
	(void)arg;
	user_release_db(u);
}

void
stored_shutdown(void)
{
	snooze_due_before_commit();
	db_commit_all();
	chan_flush_all();
	user_foreach(release_db, NULL);
	worker_exit(0);
}
