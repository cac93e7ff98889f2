/*
 * probe_layers: the second layer's attempts and the confinement that can
 * weaken the filter (cloister-probe --second-layer) or skip a layer
 * (--without), so that a test sees each layer hold on its own and sees
 * the escape succeed with the layer gone.
 */
#include "probe_layers.h"
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* the tree the child was confined with, for the file attempt */
static enum sandbox_tree child_tree;

/* The refusal's errno names the layer that refused: EACCES (Landlock's
 * filesystem or TCP rules), ENETUNREACH or ECONNREFUSED (the empty
 * namespace), EPERM (Landlock's scope). */
static int
report(const char *what, int worked)
{
	if (!worked)
		fprintf(stderr, "cloister-probe: %s: %s\n", what, strerror(errno));
	return worked;
}

/* A file in the root: 'files none' may not read it, 'files own' without
 * tree-changing calls (authd) may not write it. A tree of its own
 * (stored) may do both: there is nothing beneath its root to escape to. */
int
probe_try_root_file(struct probe_ctx *c)
{
	if (child_tree == SANDBOX_TREE_OWN)
		return 0;
	if (c->root_file == NULL)
		return report("open /", open("/", O_RDONLY | O_DIRECTORY) >= 0);
	int mode = child_tree == SANDBOX_TREE_READ ? O_WRONLY : O_RDONLY;
	return report("open a file in the root", open(c->root_file, mode) >= 0);
}

int
probe_try_tcp_host(struct probe_ctx *c)
{
	if (c->tcp_port <= 0)
		return 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons((uint16_t)c->tcp_port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	return report("connect to 127.0.0.1",
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
}

static socklen_t
abstract_addr(struct sockaddr_un *sun, const char *name)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	size_t n = strnlen(name, sizeof(sun->sun_path) - 1);
	memcpy(sun->sun_path + 1, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

int
probe_try_abstract_unix(struct probe_ctx *c)
{
	if (c->abstract == NULL)
		return 0;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_un sun;
	socklen_t len = abstract_addr(&sun, c->abstract);
	return report("connect to an abstract unix socket",
	    connect(fd, (struct sockaddr *)&sun, len) == 0);
}

/* The sibling runs outside the domain: Landlock's signal scope. */
int
probe_try_kill_outside(struct probe_ctx *c)
{
	return report("kill the sibling", kill(c->sibling, SIGKILL) == 0);
}

int
probe_tcp_listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(sin);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

int
probe_abstract_listener(const char *name)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun;
	socklen_t len = abstract_addr(&sun, name);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, len) < 0 ||
	    listen(fd, 8) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void
drop_nr(int *list, size_t *n, int nr)
{
	size_t out = 0;
	for (size_t i = 0; i < *n; i++)
		if (list[i] != nr)
			list[out++] = list[i];
	*n = out;
}

/* Allow each of PROBE_WEAK_CALLS outright, whatever rules held it. */
static void
weaken_filter(struct sandbox_spec *s)
{
	char names[] = PROBE_WEAK_CALLS;
	for (char *save = NULL, *w = strtok_r(names, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		int nr = seccomp_syscall_resolve_name(w);
		drop_nr(s->cwd_syscalls, &s->ncwd_syscalls, nr);
		drop_nr(s->syscalls, &s->nsyscalls, nr);
		size_t out = 0;
		for (size_t i = 0; i < s->narg_rules; i++)
			if (s->arg_rules[i].nr != nr)
				s->arg_rules[out++] = s->arg_rules[i];
		s->narg_rules = out;
		if (s->nsyscalls < SANDBOX_MAX_SYSCALLS)
			s->syscalls[s->nsyscalls++] = nr;
	}
}

void
probe_confine_child(const struct probe_ctx *c, const int *keep, size_t n)
{
	static struct policy p;
	char err[POLICY_ERR_MAX];
	if (policy_load(c->policy, POLICY_DEFAULT_FLAGS, &p, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "cloister-probe: %s\n", err);
		_exit(2);
	}
	/* as policy_confine: the files of 'files own' are the group's */
	p.spec.group_access = p.files_own;
	p.spec.skip_layers = c->skip_layers;
	if (c->weak_filter)
		weaken_filter(&p.spec);
	child_tree = p.spec.tree;
	sandbox_confine(&p.spec, keep, n);
}
