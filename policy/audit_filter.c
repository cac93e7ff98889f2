/*
 * audit_filter: read a live process's seccomp filters through ptrace.
 *
 * The kernel hands out a filter only while the process is in a ptrace
 * stop, so each read is: PTRACE_SEIZE (no stop yet), PTRACE_INTERRUPT,
 * wait for the stop (bounded), PTRACE_SECCOMP_GET_FILTER for index 0, 1,
 * ... until ENOENT, PTRACE_DETACH. A signal that stopped it first is given
 * back at the detach, so the process never loses one. If the audit dies
 * in between, the kernel detaches and the process runs on.
 */
#include "audit_filter.h"
#include "buf.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif

void
audit_stack_free(struct audit_stack *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->f[i].filter);
	s->n = 0;
}

/* Wait for the stop PTRACE_INTERRUPT asked for. 0 and *sig the signal to
 * hand back at the detach (0: none); 1 if the process ended; -1 on
 * timeout. */
static int
wait_stop(pid_t pid, int *sig)
{
	struct timespec end, t;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += AUDIT_STOP_TIMEOUT_MS / 1000;
	end.tv_nsec += (AUDIT_STOP_TIMEOUT_MS % 1000) * 1000000L;
	*sig = 0;
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, __WALL | WNOHANG);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (r == pid && (WIFEXITED(st) || WIFSIGNALED(st))))
			return 1;
		if (r == pid && WIFSTOPPED(st)) {
			/* a signal-delivery stop carries a signal the process must
			 * still get; the PTRACE_EVENT_STOP of the interrupt (or of
			 * a group stop) carries none to pass on */
			if ((st >> 16) == 0)
				*sig = WSTOPSIG(st);
			return 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec > end.tv_sec + end.tv_nsec / 1000000000L ||
		    (t.tv_sec == end.tv_sec + end.tv_nsec / 1000000000L &&
		    t.tv_nsec >= end.tv_nsec % 1000000000L))
			return -1;
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static int
read_filters(pid_t pid, struct audit_stack *out, char *err, size_t errlen)
{
	for (long i = 0;; i++) {
		long n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)i, NULL);
		/* ENOENT: past the oldest filter; EINVAL at 0: not in filter
		 * mode, so none at all */
		if (n < 0 && (errno == ENOENT || (errno == EINVAL && i == 0)))
			return 0;
		if (n < 0 || n > BPF_MAXINSNS) {
			buf_snprintf(err, errlen, "PTRACE_SECCOMP_GET_FILTER %ld: %s",
			    i, n < 0 ? strerror(errno) : "too long");
			return -1;
		}
		if (out->n == AUDIT_MAX_FILTERS) {
			out->truncated = true;
			return 0;
		}
		struct sock_fprog *f = &out->f[out->n];
		f->filter = calloc((size_t)n + 1, sizeof(struct sock_filter));
		if (f->filter == NULL) {
			buf_snprintf(err, errlen, "out of memory");
			return -1;
		}
		out->n++;
		long got = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)i,
		    f->filter);
		if (got != n) {
			buf_snprintf(err, errlen, "PTRACE_SECCOMP_GET_FILTER %ld: %s",
			    i, got < 0 ? strerror(errno) : "changed length");
			return -1;
		}
		f->len = (unsigned short)n;
	}
}

int
audit_stack_read(pid_t pid, struct audit_stack *out, char *err,
    size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0) {
		if (errno == ESRCH)
			buf_snprintf(err, errlen, "gone");
		else
			buf_snprintf(err, errlen, "PTRACE_SEIZE: %s", strerror(errno));
		return -1;
	}
	if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0) {
		buf_snprintf(err, errlen, "PTRACE_INTERRUPT: %s", strerror(errno));
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		return -1;
	}
	int sig, w = wait_stop(pid, &sig);
	if (w != 0) {
		buf_snprintf(err, errlen, w > 0 ? "gone" :
		    "did not stop within %d ms", AUDIT_STOP_TIMEOUT_MS);
		/* not stopped: the detach fails, and the kernel lets it go when
		 * the audit exits; a stop that comes later ends there too */
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		return -1;
	}
	int rc = read_filters(pid, out, err, errlen);
	if (ptrace(PTRACE_DETACH, pid, NULL, (void *)(long)sig) < 0) {
		/* only a SIGKILL ends a stopped tracee: collect the exit the
		 * kernel reports to us first, so that its parent gets it now */
		int st;
		waitpid(pid, &st, __WALL | WNOHANG);
	}
	if (rc < 0)
		audit_stack_free(out);
	return rc;
}

long
audit_filter_diff(const struct sock_fprog *a, const struct sock_fprog *b)
{
	unsigned short n = a->len < b->len ? a->len : b->len;
	for (unsigned short i = 0; i < n; i++) {
		const struct sock_filter *x = &a->filter[i], *y = &b->filter[i];
		if (x->code != y->code || x->jt != y->jt || x->jf != y->jf ||
		    x->k != y->k)
			return i;
	}
	return a->len == b->len ? -1 : n;
}
