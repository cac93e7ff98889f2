/* policy_guard: argument rules a policy must have (see policy_guard.h). */
#include "policy_guard.h"

#include <fcntl.h>
#include <linux/tls.h>
#include <seccomp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

enum guard_kind { G_FCNTL, G_IOCTL, G_PROT, G_SOCKOPT, G_STAT };

static const struct {
	const char *name;
	enum guard_kind kind;
	unsigned arg;       /* G_PROT: prot; G_STAT: flags */
} guarded[] = {
	{ "fcntl", G_FCNTL, 1 }, { "ioctl", G_IOCTL, 1 },
	{ "mmap", G_PROT, 2 }, { "mprotect", G_PROT, 2 },
	{ "pkey_mprotect", G_PROT, 2 },
	{ "setsockopt", G_SOCKOPT, 1 },
	{ "newfstatat", G_STAT, 3 }, { "statx", G_STAT, 2 },
};

/* fcntl commands that act on the fd alone or on file locks */
static const int fcntl_allowed[] = {
	F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW,
	F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_GET_SEALS, F_ADD_SEALS,
};

/* ioctl requests that set a signal owner or O_ASYNC, or type into a tty */
static const unsigned long ioctl_signals[] = {
	FIOSETOWN, SIOCSPGRP, FIOASYNC, TIOCSTI,
};

static const int sockopt_filters[] = {
	SO_ATTACH_FILTER, SO_ATTACH_BPF, SO_ATTACH_REUSEPORT_CBPF,
	SO_ATTACH_REUSEPORT_EBPF,
};

static int
guard_index(int nr)
{
	for (size_t i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++)
		if (seccomp_syscall_resolve_name(guarded[i].name) == nr)
			return (int)i;
	return -1;
}

const char *
policy_guard_plain(int nr)
{
	switch (guard_index(nr) < 0 ? -1 : (int)guarded[guard_index(nr)].kind) {
	case G_FCNTL:
		return "fcntl needs syscall-if rules, one per command "
		    "(F_SETOWN/F_SETSIG/O_ASYNC would signal any process of the uid)";
	case G_IOCTL:
		return "ioctl needs syscall-if rules naming the request "
		    "(FIOSETOWN/FIOASYNC would signal any process of the uid)";
	case G_PROT:
		return "needs a syscall-if rule holding PROT_EXEC clear "
		    "(arg2&PROT_EXEC==0)";
	case G_SOCKOPT:
		return "setsockopt needs syscall-if rules naming level and option "
		    "(SO_ATTACH_FILTER reaches the kernel's BPF)";
	case G_STAT:
		return "needs syscall-cwd (paths) or a syscall-if rule for the "
		    "AT_EMPTY_PATH form (fstat)";
	default:
		return NULL;
	}
}

/* The value of a full 32-bit equality on arg, if the rule has one. */
static bool
pinned(const struct sandbox_arg_rule *r, unsigned arg, uint32_t *value)
{
	for (unsigned i = 0; i < r->ncmp; i++)
		if (r->cmp[i].arg == arg && r->cmp[i].op == SANDBOX_CMP_MASKED_EQ &&
		    r->cmp[i].mask == 0xffffffffu) {
			*value = r->cmp[i].value;
			return true;
		}
	return false;
}

/* Does a test on arg fix all of bits to want (0 = clear, bits = set)? */
static bool
holds_bits(const struct sandbox_arg_rule *r, unsigned arg, uint32_t bits,
    uint32_t want)
{
	for (unsigned i = 0; i < r->ncmp; i++)
		if (r->cmp[i].arg == arg && r->cmp[i].op == SANDBOX_CMP_MASKED_EQ &&
		    (r->cmp[i].mask & bits) == bits &&
		    (r->cmp[i].value & bits) == want)
			return true;
	return false;
}

static bool
in_set(const int *set, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++)
		if ((uint32_t)set[i] == v)
			return true;
	return false;
}

static const char *
guard_fcntl(const struct sandbox_arg_rule *r)
{
	uint32_t cmd;
	if (!pinned(r, 1, &cmd))
		return "fcntl: name the command (arg1==F_...)";
	if (!in_set(fcntl_allowed, sizeof(fcntl_allowed) / sizeof(int), cmd))
		return "fcntl: this command is never allowed (signal owner, "
		    "leases, notify, pipe size, dup)";
	if (cmd == F_SETFL && !holds_bits(r, 2, O_ASYNC, 0))
		return "fcntl F_SETFL: hold O_ASYNC clear (arg2&...==0)";
	return NULL;
}

static const char *
guard_ioctl(const struct sandbox_arg_rule *r)
{
	uint32_t req;
	if (!pinned(r, 1, &req))
		return "ioctl: name the request (arg1==...)";
	for (size_t i = 0; i < sizeof(ioctl_signals) / sizeof(ioctl_signals[0]);
	    i++)
		if ((uint32_t)ioctl_signals[i] == req)
			return "ioctl: this request is never allowed (signal owner, "
			    "O_ASYNC, tty input)";
	return NULL;
}

static const char *
guard_sockopt(const struct sandbox_arg_rule *r)
{
	uint32_t level, opt;
	if (!pinned(r, 1, &level) || !pinned(r, 2, &opt))
		return "setsockopt: name the level and the option "
		    "(arg1==LEVEL arg2==OPTION)";
	if (level == SOL_SOCKET && in_set(sockopt_filters,
	    sizeof(sockopt_filters) / sizeof(int), opt))
		return "setsockopt: a socket filter is never allowed";
	return NULL;
}

static const char *
guard_stat(const struct sandbox_arg_rule *r, unsigned flags_arg)
{
	uint32_t dirfd;
	if (pinned(r, 0, &dirfd) && dirfd == (uint32_t)AT_FDCWD)
		return NULL;
	if (holds_bits(r, flags_arg, AT_EMPTY_PATH, AT_EMPTY_PATH))
		return NULL;
	return "the directory must be AT_FDCWD (arg0==AT_FDCWD) or the "
	    "AT_EMPTY_PATH flag set (fstat)";
}

const char *
policy_guard_rule(const struct sandbox_arg_rule *r)
{
	int g = guard_index(r->nr);
	if (g < 0) {
		/* an *at() call keeps its directory AT_FDCWD, as syscall-cwd does */
		unsigned dirfds = sandbox_dirfd_args(r->nr);
		for (unsigned a = 0; a < 6; a++) {
			uint32_t v;
			if ((dirfds & (1u << a)) && !(pinned(r, a, &v) &&
			    v == (uint32_t)AT_FDCWD))
				return "every directory argument must be AT_FDCWD";
		}
		return NULL;
	}
	switch (guarded[g].kind) {
	case G_FCNTL:
		return guard_fcntl(r);
	case G_IOCTL:
		return guard_ioctl(r);
	case G_PROT:
		return holds_bits(r, guarded[g].arg, PROT_EXEC, 0) ? NULL
		    : "hold PROT_EXEC clear (arg2&PROT_EXEC==0): no code is written"
		    " at run time";
	case G_SOCKOPT:
		return guard_sockopt(r);
	case G_STAT:
		return guard_stat(r, guarded[g].arg);
	}
	return NULL;
}
