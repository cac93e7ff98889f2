/*
 * cloister-probe POLICYFILE — play a compromised worker.
 *
 * For each escape a worker might try (probe_attempts.c), a child confines
 * itself under the policy exactly as a worker would (policy_confine) and
 * makes the one attempt. It holds what a worker holds, at the numbers a
 * worker has them: a pipe shared with other processes at the stats fd (4),
 * a socket at fd 10 (a channel; its peer end at 11), and a process of the
 * same uid runs beside it. One line per attempt: "refused" or "ALLOWED".
 * Exit 0 only if every escape was refused; 1 if any was allowed; 2 on a
 * setup error.
 */
#include "fds.h"
#include "log.h"
#include "policy.h"
#include "probe_attempts.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROBE_FD_SOCK 10
#define PROBE_FD_PEER 11

/* The fds a worker holds: a shared pipe at the stats position, a socket
 * channel (both ends, so that the probe can make a byte arrive). Each is
 * first moved above the fixed numbers, then placed. */
static int
give_worker_fds(struct probe_ctx *c, int *pipe_read)
{
	int fds[4], high[4];
	const int want[4] = { -1, CLOISTER_FD_STATS, PROBE_FD_SOCK,
	    PROBE_FD_PEER };
	if (pipe(fds) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, fds + 2) < 0)
		return -1;
	for (int i = 0; i < 4; i++) {
		high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 20);
		close(fds[i]);
		if (high[i] < 0)
			return -1;
	}
	for (int i = 1; i < 4; i++) {
		if (dup2(high[i], want[i]) < 0)
			return -1;
		close(high[i]);
		c->keep[c->nkeep++] = want[i];
	}
	*pipe_read = high[0];
	c->pipe_fd = CLOISTER_FD_STATS;
	c->sock = PROBE_FD_SOCK;
	c->sock_peer = PROBE_FD_PEER;
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: cloister-probe POLICYFILE\n");
		return 2;
	}
	log_open("cloister-probe", true);
	static struct policy p;
	char err[POLICY_ERR_MAX];
	if (policy_load(argv[1], POLICY_DEFAULT_FLAGS, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "cloister-probe: %s\n", err);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "cloister-probe: run as root (it confines itself)\n");
		return 2;
	}

	struct probe_ctx c = { .policy = argv[1], .dir_chan = -1 };
	int pipe_read = -1;
	c.root_dirfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* a live unix socket outside the chroot, for the connect attempt */
	char dir[64], sockpath[80];
	int ls = probe_unix_listener(dir, sizeof(dir), sockpath,
	    sizeof(sockpath));
	if (c.root_dirfd < 0 || give_worker_fds(&c, &pipe_read) < 0 || ls < 0) {
		perror("cloister-probe: setup");
		return 2;
	}
	c.unix_path = sockpath;

	printf("policy %s (service %s, user %s, root %s, on-violation %s)\n",
	    argv[1], p.spec.service, p.spec.user, p.spec.root,
	    p.spec.on_violation == SANDBOX_KILL ? "kill" : "log-eperm");
	int allowed = 0, errors = 0;
	for (size_t i = 0; i < probe_attempt_count(); i++) {
		/* a fresh sibling each time: an attempt may have hit the last */
		c.sibling = probe_spawn_sibling(p.spec.user, p.spec.group);
		if (c.sibling < 0) {
			errors++;
			continue;
		}
		enum probe_result r = probe_run_attempt(&c, i);
		kill(c.sibling, SIGKILL);
		waitpid(c.sibling, NULL, 0);
		if (r == PROBE_ERROR) {
			printf("%-44s error\n", probe_attempt_name(i));
			errors++;
		} else {
			printf("%-44s %s\n", probe_attempt_name(i),
			    r == PROBE_ALLOWED ? "ALLOWED" : "refused");
			allowed += r == PROBE_ALLOWED;
		}
		fflush(stdout);
	}
	close(ls);
	close(pipe_read);
	unlink(sockpath);
	rmdir(dir);
	printf("%d allowed, %d errors\n", allowed, errors);
	if (errors)
		return 2;
	return allowed ? 1 : 0;
}
