/* turn: what every event-loop turn ends with, and the clean way out (see
 * stored.h); in the library so that the fuzz target runs the same code. */
#include "buf.h"
#include "chan.h"
#include "config.h"
#include "db.h"
#include "freeze.h"
#include "notify.h"
#include "quota.h"
#include "registry.h"
#include "stats.h"
#include "stored.h"
#include "user.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_AUTOCREATE \
	"INBOX Drafts=drafts Sent=sent Junk=junk Trash=trash Archive=archive"

static char autocreate[CONFIG_VALUE_MAX] = DEFAULT_AUTOCREATE;

const char *
stored_option_autocreate(void)
{
	return autocreate;
}

static bool autocreate_users = true;

bool
stored_option_autocreate_users(void)
{
	return autocreate_users;
}

void
stored_set_autocreate_users(bool on)
{
	autocreate_users = on;
}

int
stored_set_autocreate(const char *spec)
{
	return buf_strlcpy(autocreate, sizeof(autocreate), spec, strlen(spec));
}

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
	freeze_tick();
	/* group commit: every write of this turn made durable at once, then
	 * the replies that acknowledge them, then the wake-ups of watchers
	 * (a notification held behind a reply is sent by the next flush) */
	db_commit_all();
	chan_flush_all();
	notify_flush();
	chan_flush_all();
	/* long replies go on, a slice each, outside any write transaction:
	 * they see committed data only */
	chan_run_slices();
	chan_flush_all();
	db_trim(freeze_is_active);
	stats_tick();
}

static void
release_db(struct user *u, void *arg)
{
	(void)arg;
	db_release(u);
}

void
stored_shutdown(void)
{
	db_commit_all();
	chan_flush_all();
	user_foreach(release_db, NULL);
	_exit(0);
}
