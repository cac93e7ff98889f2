/*
 * cloister-probe-worker — the probe in a worker's place. A test config
 * names it as the binary of a connection service (policy imapd.policy);
 * cloisterd starts it like any worker, with the real fds: log, stats,
 * control, the authd channel and the store channels. For each escape
 * (probe_attempts.c) a child confines itself under the service's policy,
 * keeping those fds, and makes the attempt on them: the signal trick on
 * the store channel (the store's reply is the byte that arrives) aimed at
 * a real spare of another service of the same user, F_SETPIPE_SZ and
 * F_SETFL on the log and the stats fds. One log line per attempt, then
 * "probe-worker: N allowed, M errors, sibling PID". It then idles until
 * the control channel closes. Test tool: never installed.
 */
#include "log.h"
#include "policy.h"
#include "probe_attempts.h"
#include "worker.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct worker w;
static struct config cfg;
static struct policy pol;

/* /proc/PID/WHAT into text (NUL-terminated): its length, or -1. */
static ssize_t
read_proc(pid_t pid, const char *what, char *text, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, text, size - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	return n;
}

/* The uid on the Uid: line and the PPid of /proc/PID/status. */
static int
status_ids(pid_t pid, uid_t *uid, pid_t *ppid)
{
	char text[4096];
	if (read_proc(pid, "status", text, sizeof(text)) < 0)
		return -1;
	const char *u = strstr(text, "\nUid:"), *p = strstr(text, "\nPPid:");
	if (u == NULL || p == NULL)
		return -1;
	*uid = (uid_t)strtoul(u + 5, NULL, 10);
	*ppid = (pid_t)strtol(p + 6, NULL, 10);
	return 0;
}

/* Does /proc/PID/cmdline hold "--service NAME"? */
static bool
serves(pid_t pid, const char *name)
{
	char argv[4096];
	ssize_t n = read_proc(pid, "cmdline", argv, sizeof(argv));
	if (n < 0)
		return false;
	for (const char *a = argv; a < argv + n; a += strlen(a) + 1)
		if (strcmp(a, "--service") == 0 && a + strlen(a) + 1 < argv + n)
			return strcmp(a + strlen(a) + 1, name) == 0;
	return false;
}

/* Another non-root child of cloisterd serving the service whose policy the
 * probe runs under (a real sibling the attempts must not reach; under
 * cloisterd it has a uid of its own, so uid separation is tested too). */
static pid_t
find_sibling(const char *service)
{
	DIR *d = opendir("/proc");
	if (d == NULL)
		return -1;
	pid_t found = -1;
	struct dirent *e;
	while (found < 0 && (e = readdir(d)) != NULL) {
		pid_t pid = (pid_t)atoi(e->d_name);
		uid_t u;
		pid_t pp;
		if (pid > 0 && pid != getpid() && status_ids(pid, &u, &pp) == 0 &&
		    pp == getppid() && u != 0 && serves(pid, service))
			found = pid;
	}
	closedir(d);
	return found;
}

static void
keep_if_open(struct probe_ctx *c, int fd)
{
	if (fcntl(fd, F_GETFD) >= 0 && c->nkeep < PROBE_MAX_KEEP)
		c->keep[c->nkeep++] = fd;
}

static void
report(size_t i, const char *on, enum probe_result r, int *allowed,
    int *errors)
{
	const char *what = r == PROBE_ALLOWED ? "ALLOWED"
	    : r == PROBE_REFUSED ? "refused" : "error";
	log_info("probe-worker: %s%s %s", probe_attempt_name(i), on, what);
	*allowed += r == PROBE_ALLOWED;
	*errors += r == PROBE_ERROR;
}

int
main(int argc, char **argv)
{
	const struct config_service *svc;
	worker_start(&w, argc, argv, "cloister-probe-worker", ROLE_CONNECTION,
	    &cfg, &svc);
	char err[POLICY_ERR_MAX];
	if (policy_load(svc->policy, POLICY_DEFAULT_FLAGS, &pol, err,
	    sizeof(err)) < 0)
		log_fatal("policy: %s", err);

	struct probe_ctx c = {
		.policy = svc->policy, .sock = CLOISTER_FD_STORE(0),
		.sock_peer = -1, .pipe_fd = CLOISTER_FD_STATS, .dir_chan = -1,
	};
	/* the fds a connection worker keeps (the role's, common/worker.c) */
	int keep[WORKER_KEEP_MAX];
	size_t nkeep = worker_keep_fds(&w, keep);
	for (size_t i = 0; i < nkeep; i++)
		keep_if_open(&c, keep[i]);
	if (fcntl(c.sock, F_GETFD) < 0)
		log_fatal("probe-worker: no store channel on fd %d", c.sock);

	char dir[64], sockpath[80];
	int ls = probe_unix_listener(dir, sizeof(dir), sockpath,
	    sizeof(sockpath));
	c.root_dirfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ls < 0 || c.root_dirfd < 0)
		log_fatal_errno("probe-worker: setup");
	c.unix_path = sockpath;

	/* the spares of the other service may still be starting */
	for (int i = 0; i < 100 &&
	    (c.sibling = find_sibling(pol.spec.service)) < 0; i++)
		usleep(100 * 1000);
	if (c.sibling < 0)
		log_fatal("probe-worker: no %s running beside it", pol.spec.service);

	int allowed = 0, errors = 0;
	for (size_t i = 0; i < probe_attempt_count(); i++) {
		/* an attempt that reached the sibling was counted; aim the next
		 * one at the spare cloisterd starts in its place */
		for (int t = 0; t < 50 && !probe_running(c.sibling); t++) {
			pid_t next = find_sibling(pol.spec.service);
			if (next > 0 && probe_running(next))
				c.sibling = next;
			else
				usleep(100 * 1000);
		}
		c.pipe_fd = CLOISTER_FD_STATS;
		report(i, probe_attempt_uses_pipe(i) ? " (stats fd)" : "",
		    probe_run_attempt(&c, i), &allowed, &errors);
		if (!probe_attempt_uses_pipe(i))
			continue;
		c.pipe_fd = CLOISTER_FD_LOG;
		report(i, " (log fd)", probe_run_attempt(&c, i), &allowed,
		    &errors);
	}
	close(ls);
	unlink(sockpath);
	rmdir(dir);
	log_info("probe-worker: %d allowed, %d errors, sibling %d", allowed,
	    errors, (int)c.sibling);

	/* idle like a spare until the supervisor goes or stops us */
	char b[256];
	while (read(CLOISTER_FD_CONTROL, b, sizeof(b)) > 0)
		;
	return 0;
}
