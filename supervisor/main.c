/*
 * cloisterd -c FILE [-f] [-d] [-n]: the one process of Cloister that stays root.
 * It binds, makes socketpairs, fork+execs the workers named in the config,
 * reaps and restarts them, and relays fixed-size stats records. It parses
 * nothing but its own config and those records. docs/supervisor.md.
 */
#include "sv.h"

#include <limits.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>

_Static_assert(STATS_NAME_MAX >= CONFIG_NAME_MAX, "service names fit");

static const int sigs[] = { SIGCHLD, SIGHUP, SIGUSR1, SIGTERM, SIGINT };

static void
startup_fail(const char *msg)
{
	fprintf(stderr, "cloisterd: %s\n", msg);
	if (log_sink() == LOG_SINK_SYSLOG || log_fd() != 2)   /* or log-file */
		log_err("%s", msg);
	exit(1);
}

static void
stop_all(void)
{
	if (sv.stopping)
		return;
	log_info("stopping: %lld s for workers to finish",
	    (long long)(sv.tune.stop_timeout / 1000));
	sv.stopping = true;
	sv.stop_deadline = sv_now() + sv.tune.stop_timeout;
	for (struct sv_service *s = sv.services; s != NULL; s = s->next)
		sv_service_event(s, EV_STOP);
}

static bool
all_stopped(void)
{
	for (struct sv_service *s = sv.services; s != NULL; s = s->next)
		if (s->state != SV_STOPPED)
			return false;
	return true;
}

/* Signals only set flags: the loop reaps and reloads after its batch. */
static bool reap_due, reload_due, reopen_due;

static void
on_signal(struct sv_service *s, unsigned arg)
{
	struct signalfd_siginfo si;
	(void)s, (void)arg;
	while (read(sv.sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap_due = true;
		else if (si.ssi_signo == SIGHUP)
			reload_due = reopen_due = true;
		else if (si.ssi_signo == SIGUSR1)
			reopen_due = true;
		else
			stop_all();
	}
}

static void
setup(bool debug, bool check)
{
	char err[CONFIG_ERR_MAX];
	if (geteuid() != 0)
		startup_fail("must run as root: it binds privileged ports and"
		    " starts workers that confine themselves");
	sv.cfg = calloc(1, sizeof(*sv.cfg));
	if (sv.cfg == NULL || sv_load_config(sv.cfg, &sv.tune, err,
	    sizeof(err)) < 0)
		startup_fail(sv.cfg ? err : "out of memory");
	if (check) {
		printf("%s: ok, %zu services\n", sv.cfg_path, sv.cfg->nservices);
		exit(0);
	}
	umask(022);
	if (mkdir(sv.cfg->runtime_dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, sizeof(err), "runtime-dir %s: %s",
		    sv.cfg->runtime_dir, strerror(errno));
		startup_fail(err);
	}
	/* the accept path must not starve behind the workers it is starting
	 * (exec + confinement cost CPU): a burst of new workers would otherwise
	 * delay every accept and refusal. Workers are reset to 0 at spawn. */
	if (setpriority(PRIO_PROCESS, 0, -10) < 0)
		log_warn("setpriority: %m");
	/* a few fds per live worker: fdlimit.c */
	sv_fd_limit(sv.cfg, &sv.tune);
	sv.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	sv.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sv.ep = epoll_create1(EPOLL_CLOEXEC);
	if (sv.devnull < 0 || sv.ep < 0 || pipe2(sv.agg, O_CLOEXEC) < 0)
		startup_fail(strerror(errno));
	fcntl(sv.agg[1], F_SETFL, O_NONBLOCK);   /* a full pipe drops a round */
	if (sv_ids_init(sv.cfg, err, sizeof(err)) < 0)
		startup_fail(err);
	if (!sv.foreground && sv.cfg->log_file[0] == '\0')
		log_open("cloisterd", false);
	/* before the first worker: its first lines go where the config says */
	if (sv_logfile_start(sv.cfg, err, sizeof(err)) < 0)
		startup_fail(err);
	sv_netns_init();
	sv.started = sv_now();
	if (sv_start(err, sizeof(err)) < 0 ||
	    sv_ctlsock_open(err, sizeof(err)) < 0)
		startup_fail(err);
	if (!sv.foreground) {
		if (daemon(0, 0) < 0)   /* fork, setsid, chdir /, stdio on /dev/null */
			startup_fail(strerror(errno));
		sv_ids_owner();
	} else {
		setpgid(0, 0);   /* a group of our own (each worker has its own) */
	}
	/* after the daemon's fork: the key's page is wiped in every child */
	if (sv_key_init() < 0)
		log_fatal_errno("ticket key");
	log_set_debug(debug);
	/* a stalled syslog drops lines rather than stop the supervisor (not in
	 * the foreground: stderr may be a terminal shared with a shell). Our
	 * workers' lines come through us (logchan.c), so stderr may also be a
	 * regular file: we are not under their fsize rlimit of 0. */
	if (log_sink() == LOG_SINK_SYSLOG)
		fcntl(log_fd(), F_SETFL, O_NONBLOCK);
	sv_write_snapshot();
	char path[CONFIG_PATH_MAX], line[32];
	int n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	sv_write_file(sv_runtime_path(path, "cloisterd.pid", -1), line,
	    (size_t)n, 0644);
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sv.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sv.sigfd < 0)
		log_fatal_errno("signalfd");
	static struct sv_watch w_signal = { on_signal, NULL, 0 };
	sv_epoll(EPOLL_CTL_ADD, sv.sigfd, &w_signal, EPOLLIN);
	log_info("started: %zu services, generation 0, pid %d",
	    sv.cfg->nservices, (int)getpid());
}

int
main(int argc, char **argv)
{
	bool debug = false, check = false;
	int opt;
	log_open("cloisterd", true);
	while ((opt = getopt(argc, argv, "c:fdn")) != -1) {
		if (opt == 'c')
			sv.cfg_path = optarg;
		else if (opt == 'f')
			sv.foreground = true;
		else if (opt == 'd')
			debug = true;
		else if (opt == 'n')
			check = true;
		else
			break;
	}
	if (opt != -1 || sv.cfg_path == NULL || optind != argc) {
		fprintf(stderr, "usage: cloisterd -c FILE [-f] [-d] [-n]\n"
		    "  -c FILE  the configuration (docs/configuration.md)\n"
		    "  -f       stay in the foreground, log to stderr\n"
		    "  -d       debug logging\n"
		    "  -n       check the configuration and its policies, then exit\n");
		return 2;
	}
	setup(debug, check);
	struct epoll_event ev[64];
	while (!(sv.stopping && (all_stopped() ||
	    sv_now() > sv.stop_deadline + 5000))) {
		int n = epoll_wait(sv.ep, ev, 64, sv_next_timeout(sv_now()));
		if (n < 0 && errno != EINTR)
			log_fatal_errno("epoll_wait");
		sv.more_work = false;
		for (int i = 0; i < n; i++) {
			struct sv_watch *w = ev[i].data.ptr;
			w->fn(w->svc, w->arg);
		}
		if (reap_due)
			sv_reap();
		if (reload_due && !sv.stopping) {
			char err[CONFIG_ERR_MAX];
			(void)sv_reload(err, sizeof(err));   /* logged there */
		}
		if (reopen_due)   /* after a reload: log-file may have changed */
			sv_logfile_reopen();
		reap_due = reload_due = reopen_due = false;
		sv_tick(sv_now());
	}
	/* every service went through stop: listeners and admin sockets are
	 * closed and unlinked already */
	sv_reap();
	sv_ctlsock_close();
	char path[CONFIG_PATH_MAX];
	unlink(sv_runtime_path(path, "config.", sv.generation));
	if (sv.generation > 0)
		unlink(sv_runtime_path(path, "config.", sv.generation - 1));
	unlink(sv_runtime_path(path, "cloisterd.pid", -1));
	sv_ids_release();
	explicit_bzero(sv.key, SV_KEY_SIZE);
	log_info("stopped");
	return 0;
}
