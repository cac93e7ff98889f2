/*
 * cloister-probe [--second-layer] [--without netns|landlock|netns,landlock]
 *     POLICYFILE — play a compromised worker.
 *
 * For each escape a worker might try (probe_attempts.c), a child confines
 * itself under the policy exactly as a worker would (policy_confine) and
 * makes the one attempt. It holds what a worker holds, at the numbers a
 * worker has them: a pipe shared with other processes at the stats fd (4),
 * a socket at fd 10 (a channel; its peer end at 11), and a process of the
 * same uid runs beside it. One line per attempt: "refused" or "ALLOWED".
 * Exit 0 only if every escape was refused; 1 if any was allowed; 2 on a
 * setup error.
 *
 * --second-layer: the filter also allows open, openat, socket, connect and
 * kill, and only the attempts Landlock and the empty network namespace
 * must refuse on their own are made: a file in the root (the probe puts
 * one there), TCP to a listener on the host's 127.0.0.1, kill() of the
 * sibling, an abstract unix socket made outside. --without skips a layer,
 * to show the escape that layer alone refuses.
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

static int
usage(void)
{
	fprintf(stderr, "usage: cloister-probe [--second-layer]"
	    " [--without netns|landlock|netns,landlock] POLICYFILE\n");
	return 2;
}

/* The options; the index of POLICYFILE, or -1. */
static int
parse_options(int argc, char **argv, struct probe_ctx *c)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--second-layer") == 0) {
			c->weak_filter = true;
			continue;
		}
		if (strcmp(argv[i], "--without") != 0 || i + 1 >= argc)
			return -1;
		const char *w = argv[++i];
		if (strstr(w, "netns") != NULL)
			c->skip_layers |= SANDBOX_SKIP_NETNS;
		if (strstr(w, "landlock") != NULL)
			c->skip_layers |= SANDBOX_SKIP_LANDLOCK;
		if (c->skip_layers == 0)
			return -1;
	}
	return i == argc - 1 ? i : -1;
}

/* What the second layer's attempts aim at, made as root outside every
 * sandbox: a world-writable file in the root, TCP and abstract unix
 * listeners in the host's network namespace. */
struct layer_targets {
	char file[SANDBOX_PATH_MAX + 48], abstract[48];
	int tcp, unx;
};

static int
make_layer_targets(struct probe_ctx *c, const struct policy *p,
    struct layer_targets *t)
{
	snprintf(t->abstract, sizeof(t->abstract), "cloister-probe-%d",
	    (int)getpid());
	if (snprintf(t->file, sizeof(t->file), "%s/cloister-probe-%d",
	    p->spec.root, (int)getpid()) >= (int)sizeof(t->file))
		return -1;
	int fd = open(t->file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0)
		return -1;
	int mode = fchmod(fd, 0666);   /* past the umask */
	close(fd);
	if (mode < 0)
		return -1;
	t->tcp = probe_tcp_listener(&c->tcp_port);
	t->unx = probe_abstract_listener(t->abstract);
	c->root_file = t->file + strlen(p->spec.root);
	c->abstract = t->abstract;
	return t->tcp < 0 || t->unx < 0 ? -1 : 0;
}

static void
remove_layer_targets(struct layer_targets *t)
{
	unlink(t->file);
	if (t->tcp >= 0)
		close(t->tcp);
	if (t->unx >= 0)
		close(t->unx);
}

int
main(int argc, char **argv)
{
	struct probe_ctx c = { .dir_chan = -1 };
	int arg = parse_options(argc, argv, &c);
	if (arg < 0)
		return usage();
	c.policy = argv[arg];
	log_open("cloister-probe", true);
	static struct policy p;
	char err[POLICY_ERR_MAX];
	if (policy_load(c.policy, POLICY_DEFAULT_FLAGS, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "cloister-probe: %s\n", err);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "cloister-probe: run as root (it confines itself)\n");
		return 2;
	}

	int pipe_read = -1;
	struct layer_targets targets = { .tcp = -1, .unx = -1 };
	c.root_dirfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* a live unix socket outside the chroot, for the connect attempt */
	char dir[64], sockpath[80];
	int ls = probe_unix_listener(dir, sizeof(dir), sockpath,
	    sizeof(sockpath));
	if (c.root_dirfd < 0 || give_worker_fds(&c, &pipe_read) < 0 || ls < 0 ||
	    make_layer_targets(&c, &p, &targets) < 0) {
		remove_layer_targets(&targets);
		perror("cloister-probe: setup");
		return 2;
	}
	c.unix_path = sockpath;

	printf("policy %s (service %s, user %s, root %s, on-violation %s)%s%s%s\n",
	    c.policy, p.spec.service, p.spec.user, p.spec.root,
	    p.spec.on_violation == SANDBOX_KILL ? "kill" : "log-eperm",
	    c.weak_filter ? ", filter weakened: " PROBE_WEAK_CALLS : "",
	    c.skip_layers & SANDBOX_SKIP_NETNS ? ", without netns" : "",
	    c.skip_layers & SANDBOX_SKIP_LANDLOCK ? ", without landlock" : "");
	int allowed = 0, errors = 0;
	for (size_t i = 0; i < probe_attempt_count(); i++) {
		if (c.weak_filter && !probe_attempt_second_layer(i))
			continue;
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
	remove_layer_targets(&targets);
	close(pipe_read);
	unlink(sockpath);
	rmdir(dir);
	printf("%d allowed, %d errors\n", allowed, errors);
	if (errors)
		return 2;
	return allowed ? 1 : 0;
}
