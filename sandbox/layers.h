/*
 * layers: the second layer under chroot and seccomp, internal to the
 * sandbox, and the seccomp filter's own file (filter.c). Each is best effort by what the kernel offers: a kernel
 * without it gets a warning naming the missing layer, and the process
 * still starts (chroot, ids, capabilities and seccomp hold regardless).
 */
#ifndef CLOISTER_SANDBOX_LAYERS_H
#define CLOISTER_SANDBOX_LAYERS_H

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>

#include "sandbox.h"

/* Move into an empty network namespace (only a down loopback): join
 * cloisterd's at CLOISTER_FD_NETNS and close that fd, or else make one.
 * Needs CAP_SYS_ADMIN, so it runs before the ids and capabilities go.
 * Writes what it did ("netns shared", "netns empty" or "no netns") into
 * desc. */
void sandbox_enter_empty_netns(const struct sandbox_spec *s, char *desc,
    size_t len);

/* Restrict the process with Landlock: the filesystem beneath "/" (the
 * chroot) as s->tree says, no TCP bind or connect, no signal or abstract
 * unix socket outside the domain. Needs no_new_privs; runs before
 * seccomp, which allows none of its calls. Writes what it handled
 * ("landlock ABI 7: fs, net, scope") into desc. */
void sandbox_landlock(const struct sandbox_spec *s, char *desc, size_t len);

/* Landlock holds the calling thread only: refuse (log_fatal) a process
 * with more than one, while /proc can still tell (before chroot). */
void sandbox_landlock_check_threads(const struct sandbox_spec *s);

/* filter.c and sandbox.c: the seccomp program of step 11. */
struct sock_fprog;
/* The policy's filter, built, not loaded (log_fatal on a bad rule). */
scmp_filter_ctx sandbox_build_seccomp(const struct sandbox_spec *s);
/* The program cloisterd handed over at CLOISTER_FD_SECCOMP: false when
 * that fd is not open, is on the keep list or takes no seals (no memfd);
 * else read, checked (log_fatal if it does not pass) and the fd closed. */
bool sandbox_filter_take(const struct sandbox_spec *s, const int *keep,
    size_t nkeep, struct sock_fprog *out);
/* Load prog (seccomp(2) with TSYNC, prctl without seccomp(2)). */
void sandbox_filter_install(const struct sandbox_spec *s,
    const struct sock_fprog *prog);

#endif
