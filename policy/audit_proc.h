/* audit_proc: what /proc says about one live process, for cloister-audit. */
#ifndef CLOISTER_AUDIT_PROC_H
#define CLOISTER_AUDIT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox.h"

#define AUDIT_MAX_GROUPS 32
#define AUDIT_MAX_FDS 256
#define AUDIT_NS_COUNT 7

enum audit_fd_kind {
	FD_SOCKET, FD_PIPE, FD_ANON, FD_MEMFD, FD_FILE, FD_DIR, FD_DEV, FD_OTHER
};

struct audit_fd {
	int fd;
	enum audit_fd_kind kind;
	int flags;          /* open flags from fdinfo, -1 if unknown */
	char target[128];
};

struct audit_proc {
	pid_t pid;
	pid_t ppid;
	char exe[256];          /* readlink /proc/PID/exe */
	char root[256];         /* readlink /proc/PID/root */
	uid_t uid[4];           /* real, effective, saved, fs */
	gid_t gid[4];
	gid_t groups[AUDIT_MAX_GROUPS];
	size_t ngroups;
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	int no_new_privs;
	int seccomp;
	int seccomp_filters;
	struct { bool known; uint64_t soft, hard; } rlimit[SANDBOX_RL_COUNT];
	char ns[AUDIT_NS_COUNT][64];
	struct audit_fd fds[AUDIT_MAX_FDS];
	size_t nfds;
	bool fds_truncated;
	/* the sanitizer runtime is mapped: a sanitizer build, which merges
	 * policy/sanitizer.policy into its policy (-1: maps unreadable) */
	int sanitized;
};

extern const char *const audit_ns_names[AUDIT_NS_COUNT];
const char *audit_fd_kind_name(enum audit_fd_kind k);

/* Read everything; -1 if the process is gone or unreadable. */
int audit_proc_read(pid_t pid, struct audit_proc *ap);
/* Is it a sanitizer build? Its maps say; unreadable maps: as this build. */
bool audit_proc_is_sanitized(const struct audit_proc *ap);
/* Its Seccomp_filters count; 0 if it is gone. */
int audit_proc_filters(pid_t pid);
/* Seconds since the process started; -1 if it is gone. */
double audit_proc_age(pid_t pid);

/* The pids whose parent chain leads to root_pid (not root_pid itself). */
size_t audit_descendants(pid_t root_pid, pid_t *out, size_t max);

#endif
