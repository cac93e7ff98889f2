/* turn: what every event-loop turn ends with, and the clean way out (see
 * stored.h); in the library so that the fuzz target runs the same code. */
#include "chan.h"
#include "db.h"
#include "freeze.h"
#include "log.h"
#include "notify.h"
#include "push.h"
#include "quota.h"
#include "registry.h"
#include "snooze.h"
#include "stats.h"
#include "stored.h"
#include "user.h"
#include "worker.h"

#include <errno.h>
#include <sys/epoll.h>

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

/* One epoll_wait's events: control, timers, channels; the channels read.
 * again: a second
 * look within the turn, where a channel whose reply waits for the commit
 * is not read (one request per channel per turn: chan.c) */
int
stored_serve_events(const struct epoll_event *evs, int n, bool again)
{
	int reads = 0, nlater = 0;
	struct chan *later[STORED_MAX_EVENTS];
	if (n > STORED_MAX_EVENTS)
		n = STORED_MAX_EVENTS;
	if (n < 0 && errno != EINTR)
		log_fatal_errno("epoll_wait");
	for (int i = 0; i < n; i++) {
		struct chan *ch = evs[i].data.ptr;
		if (evs[i].data.ptr == snooze_due_tag()) {
			snooze_due_fired();
			continue;
		}
		if (ch == NULL) {
			chan_control_read(CLOISTER_FD_CONTROL);
			continue;
		}
		if (ch->dead)
			continue;
		if (evs[i].events & EPOLLOUT)
			chan_writable(ch);
		if (ch->dead || !(evs[i].events & (EPOLLIN | EPOLLHUP |
		    EPOLLERR)) || (again && ch->out != NULL))
			continue;
		/* reads first: answered before any write of the turn opens
		 * a transaction, they go at once (chan_send_early) */
		if (n > 1 && chan_next_writes(ch))
			later[nlater++] = ch;
		else
			chan_read(ch);
		reads++;
	}
	for (int i = 0; i < nlater; i++)
		if (!later[i]->dead)
			chan_read(later[i]);
	return reads;
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
