/*
 * filter: the seccomp program of a policy as bytes, compiled once and
 * handed over, or compiled here.
 *
 * libseccomp turns a policy into BPF in every worker of a service, the
 * same work each time (~0.6 ms of an imapd's start, bench/README.md).
 * cloisterd (root, trusted, reading nothing from the network) compiles it
 * once per service at start and at reload,
 * exports it into a memfd, seals it (no write, no grow, no shrink, no
 * further seal change) and gives every worker a read-only descriptor of it
 * at CLOISTER_FD_SECCOMP (fds.h). The worker checks the seals, the access
 * mode and the size, reads the program, closes the fd, and loads exactly
 * those bytes (seccomp(2), prctl on a kernel without it). The bytes are
 * what libseccomp would load in the worker itself: the same code
 * (sandbox_build_seccomp) builds both, and cloister-audit compares a live
 * worker's filter with a fresh compile. A process started without the fd
 * (by hand, the probe, the unit tests) compiles its own.
 */
#include "sandbox.h"
#include "layers.h"
#include "fds.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FILTER_SEALS (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)

/* Export ctx into a fresh sealable memfd; the fd, or -1 with err. */
static int
export_to_memfd(scmp_filter_ctx ctx, const char *name, char *err,
    size_t errlen)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		snprintf(err, errlen, "memfd_create: %s", strerror(errno));
		return -1;
	}
	int rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0) {
		snprintf(err, errlen, "seccomp_export_bpf: %s", strerror(-rc));
		close(fd);
		return -1;
	}
	return fd;
}

int
sandbox_filter_memfd(const struct sandbox_spec *s, char *err, size_t errlen)
{
	char name[SANDBOX_NAME_MAX + 16];
	snprintf(name, sizeof(name), "cloister-filter:%s", s->service);
	scmp_filter_ctx ctx = sandbox_build_seccomp(s);
	int rw = export_to_memfd(ctx, name, err, errlen);
	seccomp_release(ctx);
	if (rw < 0)
		return -1;
	if (fcntl(rw, F_ADD_SEALS, FILTER_SEALS) < 0) {
		snprintf(err, errlen, "sealing: %s", strerror(errno));
		close(rw);
		return -1;
	}
	/* what workers get is opened read-only as well: the seals already
	 * forbid writing, the mode says so to anyone who checks */
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", rw);
	int ro = open(path, O_RDONLY | O_CLOEXEC);
	if (ro < 0)
		snprintf(err, errlen, "reopening %s read-only: %s", path,
		    strerror(errno));
	close(rw);
	return ro;
}

int
sandbox_filter_read(int fd, struct sock_fprog *out, char *err, size_t errlen)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);
	int seals = fcntl(fd, F_GET_SEALS);
	out->filter = NULL;
	out->len = 0;
	if (fl < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if ((fl & O_ACCMODE) != O_RDONLY) {
		snprintf(err, errlen, "open for writing");
		return -1;
	}
	if (seals < 0 || (seals & FILTER_SEALS) != FILTER_SEALS) {
		snprintf(err, errlen, "not sealed (seals 0x%x, need 0x%x)",
		    seals < 0 ? 0 : (unsigned)seals, (unsigned)FILTER_SEALS);
		return -1;
	}
	size_t insn = sizeof(struct sock_filter);
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (size_t)st.st_size % insn != 0 ||
	    (size_t)st.st_size > BPF_MAXINSNS * insn) {
		snprintf(err, errlen, "size %lld is no BPF program",
		    (long long)st.st_size);
		return -1;
	}
	size_t n = (size_t)st.st_size / insn;
	out->filter = calloc(n, insn);
	/* pread: the file offset is shared with every holder of the fd */
	ssize_t got = out->filter == NULL ? -1 :
	    pread(fd, out->filter, n * insn, 0);
	if (got != (ssize_t)(n * insn)) {
		snprintf(err, errlen, "short read");
		free(out->filter);
		out->filter = NULL;
		return -1;
	}
	out->len = (unsigned short)n;
	return 0;
}

bool
sandbox_filter_take(const struct sandbox_spec *s, const int *keep,
    size_t nkeep, struct sock_fprog *out)
{
	int fd = CLOISTER_FD_SECCOMP;
	for (size_t i = 0; i < nkeep; i++)
		if (keep[i] == fd)
			return false;   /* the caller's own fd happens to be 26 */
	/* not open, or no file that takes seals (a socket, a pipe: an fd a
	 * process started by hand inherited): not a filter, compile our own;
	 * step 8 closes it. Under cloisterd fd 26 is the filter or nothing. */
	if (fcntl(fd, F_GETFD) < 0 ||
	    (fcntl(fd, F_GET_SEALS) < 0 && errno == EINVAL))
		return false;
	char err[128];
	int r = sandbox_filter_read(fd, out, err, sizeof(err));
	close(fd);
	if (r < 0)
		log_fatal("sandbox %s: the seccomp filter at fd %d: %s", s->service,
		    fd, err);
	return true;
}

void
sandbox_filter_install(const struct sandbox_spec *s,
    const struct sock_fprog *prog)
{
	/* TSYNC as libseccomp's load asks for it (the process has one thread) */
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_TSYNC, prog);
	if (r < 0 && errno == ENOSYS)
		r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0);
	if (r != 0)
		log_fatal("sandbox %s: loading the seccomp filter: %s", s->service,
		    r < 0 ? strerror(errno) : "a thread would not synchronise");
}

int
sandbox_filter_bpf(const struct sandbox_spec *s, struct sock_fprog *out)
{
	/* the very bytes cloisterd hands its workers */
	char err[128];
	int fd = sandbox_filter_memfd(s, err, sizeof(err));
	if (fd < 0)
		return -1;
	int r = sandbox_filter_read(fd, out, err, sizeof(err));
	close(fd);
	return r;
}
