/*
 * audit_filter: the seccomp filters the kernel holds for a live process,
 * read with PTRACE_SECCOMP_GET_FILTER, and their comparison with the
 * program a policy compiles to.
 */
#ifndef CLOISTER_AUDIT_FILTER_H
#define CLOISTER_AUDIT_FILTER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* more stacked filters than this is drift in itself */
#define AUDIT_MAX_FILTERS 16
/* how long a process may take to reach its ptrace stop */
#define AUDIT_STOP_TIMEOUT_MS 2000

/* A process's filter stack, oldest first, as the kernel numbers them:
 * index 0 is the first filter installed (inherited ones come first), the
 * last index the newest. */
struct audit_stack {
	int n;
	struct sock_fprog f[AUDIT_MAX_FILTERS];
	bool truncated;     /* more than AUDIT_MAX_FILTERS */
};

/* Stop pid (PTRACE_SEIZE + PTRACE_INTERRUPT, a bounded wait), read every
 * filter, detach, handing back a signal that arrived meanwhile. 0, or -1
 * with the reason in err (the process is then running, never left
 * stopped; if it would not stop in time it is released when the audit
 * exits, at the latest). Needs CAP_SYS_ADMIN and CAP_SYS_PTRACE. */
int audit_stack_read(pid_t pid, struct audit_stack *out, char *err,
    size_t errlen);
void audit_stack_free(struct audit_stack *s);

/* -1 if a and b are the same program, else the index of the first
 * instruction that differs (the shorter length when one is a prefix). */
long audit_filter_diff(const struct sock_fprog *a, const struct sock_fprog *b);

#endif
