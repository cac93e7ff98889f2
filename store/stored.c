/* stored: the mail store process (see stored.h and docs/design.md). */
#include "blob.h"
#include "budget.h"
#include "ipc.h"
#include "chan.h"
#include "config.h"
#include "db.h"
#include "dispatch.h"
#include "fds.h"
#include "freeze.h"
#include "log.h"
#include "message.h"
#include "msgfile.h"
#include "notify.h"
#include "outbox.h"
#include "outbox_auto.h"
#include "quota.h"
#include "registry.h"
#include "snooze.h"
#include "stats.h"
#include "options.h"
#include "stored.h"
#include "ticket.h"
#include "user.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

/* Libraries that read files or load modules on first use do it now,
 * before the chroot: sqlite's VFS, OpenSSL's digests and HMAC. */
static void
warm_up(void)
{
	if (sqlite3_initialize() != SQLITE_OK)
		log_fatal("sqlite3_initialize failed");
	msgfile_init();
	uint8_t key[TICKET_KEY_LEN] = { 0 }, t[TICKET_MAX];
	size_t n;
	char user[8];
	if (ticket_mint(key, "warmup", "stored", 1, 2, t, sizeof(t), &n) < 0)
		log_fatal("ticket warm-up failed");
	(void)ticket_verify(key, t, n, "stored", 1, 1, user, sizeof(user));
}

static void
options(const struct config *c, const struct config_service *svc,
    unsigned *cache)
{
	char err[CONFIG_ERR_MAX];
	uint64_t v;
	const char *ac = config_option(c, svc, "autocreate");
	if (ac != NULL && options_set_autocreate(ac) < 0)
		log_fatal("autocreate: too long");
	if (config_option_size(c, svc, "db-cache", 256, &v, err, sizeof(err)) < 0)
		log_fatal("config: %s", err);
	bool users;
	if (config_option_bool(c, svc, "autocreate-users", true, &users, err,
	    sizeof(err)) < 0)
		log_fatal("config: %s", err);
	options_set_autocreate_users(users);
	*cache = v == 0 ? 1 : v > 65536 ? 65536 : (unsigned)v;
	/* per-request work budgets: budget.h; and what a user may store */
	struct {
		const char *key;
		uint64_t dflt, max;
		uint64_t *out;
	} sizes[] = {
		{ "request-steps-max", BUDGET_STEPS_DEFAULT, UINT64_MAX,
		  &budget_limits.steps },
		{ "search-scan-max", BUDGET_SEARCH_TEXT_DEFAULT, UINT64_MAX,
		  &budget_limits.search_text },
		{ "copy-max", BUDGET_COPY_DEFAULT, UINT32_MAX,
		  &budget_limits.copy_messages },
		{ "quota-storage", QUOTA_DEFAULT_STORAGE, INT64_MAX,
		  &quota_default.storage },
		{ "quota-messages", QUOTA_DEFAULT_MESSAGES, INT64_MAX,
		  &quota_default.messages },
		{ "sieve-max-scripts", QUOTA_SIEVE_SCRIPTS_DEFAULT, 100000,
		  &options_sieve_max_scripts },
		{ "sieve-max-script-size", QUOTA_SIEVE_SCRIPT_SIZE_DEFAULT,
		  STORE_SIEVE_SOURCE_MAX, &options_sieve_max_script_size },
		{ "outbox-delivery-per-day", OUTBOX_DELIVERY_PER_DAY_DEFAULT,
		  OUTBOX_DELIVERY_PER_DAY_MAX, &outbox_delivery_per_day },
		{ "outbox-delivery-per-day-shard",
		  OUTBOX_DELIVERY_PER_DAY_SHARD_DEFAULT, OUTBOX_DELIVERY_PER_DAY_MAX,
		  &outbox_delivery_per_day_shard },
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		*sizes[i].out = config_option_range(c, svc, sizes[i].key,
		    sizes[i].dflt, 0, sizes[i].max);
	meta_max_len = (uint32_t)config_option_range(c, svc, "meta-max",
	    META_DEFAULT_LEN, 4096, STORE_META_MAX);
	upload_ttl_s = (uint32_t)config_option_range(c, svc, "upload-ttl",
	    UPLOAD_TTL_DEFAULT, 1, UPLOAD_TTL_MAX);
	outbox_jmap_keep_s = (uint32_t)config_option_range(c, svc,
	    "submission-keep", OUTBOX_JMAP_KEEP_DEFAULT, 1, OUTBOX_JMAP_KEEP_MAX);
	options_commit_wait_ms = (unsigned)config_option_range(c, svc,
	    "commit-wait", OPTIONS_COMMIT_WAIT_DEFAULT, 0,
	    OPTIONS_COMMIT_WAIT_MAX);
}


int
main(int argc, char **argv)
{
	struct worker w;
	struct config cfg;
	const struct config_service *svc;
	unsigned cache;

	/* 1. start, then load what is needed: options, every policy, libraries */
	worker_start(&w, argc, argv, "cloister-stored", ROLE_STORE, &cfg, &svc);
	unsigned shards = w.store_shards;
	unsigned shard = w.args.shard;  /* --shard N from the supervisor */
	options(&cfg, svc, &cache);
	dispatch_init(&cfg);
	warm_up();
	if (fcntl(CLOISTER_FD_CONTROL, F_GETFD) < 0)
		log_fatal("no control channel on fd %d", CLOISTER_FD_CONTROL);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		log_fatal_errno("epoll_create1");

	/* 2. confine: chroot to the spool, drop to cloister-store, seccomp;
	 * the role's fds and the epoll fd stay, and so do 0-2 (/dev/null,
	 * fds.h): sqlite refuses to put a database on fd 0-2 and cannot open
	 * /dev/null to fill them in the chroot */
	umask(007);   /* the next instance has another uid: msgfile.h */
	worker_confine(&w, &ep, 1);

	/* 3. open the shard (relative paths: the chroot is the spool) */
	registry_open(shard, shards);
	outbox_open(registry_db(), msgfile_root());   /* the table beside it */
	user_recover_all();
	db_init(cache);
	quota_count_shard();    /* the messages gauge */
	snooze_due_init(ep);    /* armed: a wake-up due while down runs now */
	chan_init(ep);
	struct epoll_event cev = { .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, CLOISTER_FD_CONTROL, &cev) < 0)
		log_fatal_errno("epoll_ctl control");
	log_info("shard %u of %u ready", shard, shards);
	worker_ready();   /* from now on a death is no start failure */

	/* 4. serve */
	struct epoll_event evs[STORED_MAX_EVENTS];
	for (;;) {
		/* wake within a second for stats still unsent (stats_tick
		 * sends at most one record a second) */
		int timeout = freeze_timeout_ms();
		if (stats_pending() && (timeout < 0 || timeout > 1000))
			timeout = 1000;
		if (chan_slices_runnable())
			timeout = 0;        /* a sliced reply goes on after a look */
		stored_serve_events(evs, epoll_wait(ep, evs, STORED_MAX_EVENTS,
		    timeout), false);
		/* group commit across peers: those answered early this turn
		 * (a delivery's reads) come back with their write within
		 * moments; when the turn has writes to commit, wait a little
		 * for them so that they share its fsyncs (at most
		 * commit-wait waits of 1 ms, each ended by the first request) */
		for (unsigned k = 0; k < options_commit_wait_ms && db_dirty() &&
		    chan_early_waiting() > 0; k++) {
			int n = epoll_wait(ep, evs, STORED_MAX_EVENTS, 1);
			if (n == 0 || stored_serve_events(evs, n, true) == 0)
				break;
		}
		stored_turn_end();
	}
}
