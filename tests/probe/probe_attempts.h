/*
 * probe_attempts: the escapes a compromised worker might try, each run in
 * a child that confines itself first (see probe_run_attempt). Shared by
 * cloister-probe (synthetic fds, any policy) and cloister-probe-worker
 * (started by cloisterd in a worker's place, with the worker's real fds).
 */
#ifndef CLOISTER_PROBE_ATTEMPTS_H
#define CLOISTER_PROBE_ATTEMPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PROBE_MAX_KEEP 32

struct probe_ctx {
	const char *policy;     /* path of the policy the child confines under */
	int root_dirfd;         /* "/" of the real system */
	pid_t sibling;          /* a sibling the attempts must not reach */
	const char *unix_path;  /* a live unix socket outside the root */
	int sock;               /* a socket the worker holds (a channel) */
	int sock_peer;          /* its other end, -1 if a real peer has it */
	int pipe_fd;            /* a pipe shared with others (log, stats) */
	int dir_chan;           /* socket on which the parent sends root_dirfd
	                         * after the child confined (-1: none) */
	int keep[PROBE_MAX_KEEP];
	size_t nkeep;
	/* the second layer (Landlock, the empty network namespace): */
	const char *root_file;  /* a file in the policy's root, world-writable
	                         * (NULL: its root directory is opened) */
	int tcp_port;           /* a TCP listener on 127.0.0.1 of the host's
	                         * namespace (0: none) */
	const char *abstract;   /* an abstract unix socket name made outside,
	                         * without the leading NUL (NULL: none) */
	bool weak_filter;       /* allow the calls only the second layer then
	                         * refuses (PROBE_WEAK_CALLS) */
	unsigned skip_layers;   /* SANDBOX_SKIP_*: show each layer's part */
};

/* The calls --second-layer adds to the filter of any policy. */
#define PROBE_WEAK_CALLS "open openat socket connect kill"


enum probe_result {
	PROBE_REFUSED,
	PROBE_ALLOWED,
	PROBE_ERROR,
};

size_t probe_attempt_count(void);
const char *probe_attempt_name(size_t i);

/* Fork a child that confines under c->policy keeping c->keep, makes
 * attempt i and reports; checks afterwards that the sibling is alive. */
enum probe_result probe_run_attempt(struct probe_ctx *c, size_t i);

/* Is pid alive and not stopped? */
bool probe_running(pid_t pid);

/* Is attempt i one the second layer refuses under a weakened filter? */
bool probe_attempt_second_layer(size_t i);

/* A TCP listener on 127.0.0.1 (port in *port), an abstract unix listener
 * named name; the fd, or -1. */
int probe_tcp_listener(int *port);
int probe_abstract_listener(const char *name);

/* Does attempt i act on c->pipe_fd (run it once per shared pipe)? */
bool probe_attempt_uses_pipe(size_t i);

/* A listening unix socket in a new directory under /tmp, outside every
 * root: dir and sock receive the paths; the listener fd, or -1. */
int probe_unix_listener(char *dir, size_t dirsize, char *sock,
    size_t socksize);

/* A process that takes the policy's user and group and waits (no seccomp:
 * nothing but the attempt can end it); -1 on error. */
pid_t probe_spawn_sibling(const char *user, const char *group);

#endif
