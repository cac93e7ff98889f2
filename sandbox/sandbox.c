/*
 * sandbox: confine the calling process, step by step, each step checked.
 * The order is docs/design.md rule 1; see sandbox.h for the list.
 */
#include "sandbox.h"
#include "layers.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/securebits.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZED 1
#endif
#endif
#ifndef SANDBOX_SANITIZED
#define SANDBOX_SANITIZED 0
#endif

static const struct {
	const char *name;
	const char *proc_label;  /* as /proc/PID/limits spells it */
	int resource;
} rlimit_table[SANDBOX_RL_COUNT] = {
	[SANDBOX_RL_NOFILE] = { "nofile", "Max open files", RLIMIT_NOFILE },
	[SANDBOX_RL_NPROC] = { "nproc", "Max processes", RLIMIT_NPROC },
	[SANDBOX_RL_CORE] = { "core", "Max core file size", RLIMIT_CORE },
	[SANDBOX_RL_AS] = { "as", "Max address space", RLIMIT_AS },
	[SANDBOX_RL_DATA] = { "data", "Max data size", RLIMIT_DATA },
	[SANDBOX_RL_FSIZE] = { "fsize", "Max file size", RLIMIT_FSIZE },
};

const char *
sandbox_rlimit_name(enum sandbox_rlimit r)
{
	return rlimit_table[r].name;
}

const char *
sandbox_rlimit_proc_label(enum sandbox_rlimit r)
{
	return rlimit_table[r].proc_label;
}

int
sandbox_rlimit_resource(enum sandbox_rlimit r)
{
	return rlimit_table[r].resource;
}

/* Which arguments of the *at() calls are directory fds. */
static const struct {
	const char *name;
	unsigned args;   /* bit i: argument i */
} dirfd_table[] = {
	{ "openat", 1u << 0 }, { "openat2", 1u << 0 }, { "unlinkat", 1u << 0 },
	{ "mkdirat", 1u << 0 }, { "mknodat", 1u << 0 },
	{ "renameat", 1u << 0 | 1u << 2 }, { "renameat2", 1u << 0 | 1u << 2 },
	{ "linkat", 1u << 0 | 1u << 2 }, { "symlinkat", 1u << 1 },
	{ "newfstatat", 1u << 0 }, { "statx", 1u << 0 },
	{ "faccessat", 1u << 0 }, { "faccessat2", 1u << 0 },
	{ "fchmodat", 1u << 0 }, { "fchownat", 1u << 0 },
	{ "readlinkat", 1u << 0 }, { "utimensat", 1u << 0 },
};

unsigned
sandbox_dirfd_args(int nr)
{
	for (size_t i = 0; i < sizeof(dirfd_table) / sizeof(dirfd_table[0]); i++)
		if (seccomp_syscall_resolve_name(dirfd_table[i].name) == nr)
			return dirfd_table[i].args;
	return 0;
}

bool
sandbox_sanitized_build(void)
{
	return SANDBOX_SANITIZED;
}

static bool
rlimit_is_memory(enum sandbox_rlimit r)
{
	return r == SANDBOX_RL_AS || r == SANDBOX_RL_DATA;
}

/* Step 1: the ids to take; names are resolved while NSS can still read
 * /etc. groups gets the supplementary groups (0 or 1 of them). */
struct sandbox_ids {
	uid_t uid;
	gid_t gid;
	gid_t groups[1];
	int ngroups;
};

static gid_t
group_id(const struct sandbox_spec *s)
{
	struct group *gr = getgrnam(s->group);
	if (gr == NULL)
		log_fatal("sandbox %s: no such group '%s'", s->service, s->group);
	gid_t gid = gr->gr_gid;
	endgrent();
	return gid;
}

static void
lookup_ids(const struct sandbox_spec *s, struct sandbox_ids *id)
{
	if (s->instance_uid != 0 || s->instance_gid != 0) {
		id->uid = s->instance_uid;
		id->gid = s->instance_gid;
		id->ngroups = s->group_access ? 1 : 0;
		if (s->group_access)
			id->groups[0] = group_id(s);
	} else {
		struct passwd *pw = getpwnam(s->user);
		if (pw == NULL)
			log_fatal("sandbox %s: no such user '%s'", s->service, s->user);
		id->uid = pw->pw_uid;
		endpwent();
		id->gid = id->groups[0] = group_id(s);
		id->ngroups = 1;
	}
	if (id->uid == 0 || id->gid == 0 || (id->ngroups && id->groups[0] == 0))
		log_fatal("sandbox %s: refusing to run as uid/gid 0", s->service);
}

/* Step 3: the root must be root's and not writable by anyone else, or a
 * confined process could plant files in its own root; a root that only
 * gets read (root_owned_by_uid, Landlock READ at most) may be the uid's. */
static void
enter_root(const struct sandbox_spec *s, const struct sandbox_ids *id)
{
	struct stat before, after, parent;

	if (stat(s->root, &before) < 0)
		log_fatal_errno("sandbox %s: stat %s", s->service, s->root);
	if (!S_ISDIR(before.st_mode))
		log_fatal("sandbox %s: %s is not a directory", s->service, s->root);
	bool owner_ok = before.st_uid == 0 || (s->root_owned_by_uid &&
	    s->tree != SANDBOX_TREE_OWN && before.st_uid == id->uid);
	if (!owner_ok || (before.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		log_fatal("sandbox %s: %s must be owned by root%s and not"
		    " group/other writable", s->service, s->root,
		    s->root_owned_by_uid ? " or the uid it runs as" : "");
	if (chroot(s->root) < 0)
		log_fatal_errno("sandbox %s: chroot %s", s->service, s->root);
	if (chdir("/") < 0)
		log_fatal_errno("sandbox %s: chdir /", s->service);
	if (stat("/", &after) < 0 || stat("/..", &parent) < 0)
		log_fatal_errno("sandbox %s: stat after chroot", s->service);
	if (after.st_dev != before.st_dev || after.st_ino != before.st_ino ||
	    parent.st_ino != after.st_ino || parent.st_dev != after.st_dev)
		log_fatal("sandbox %s: chroot to %s did not take", s->service,
		    s->root);
}

/* Step 4. KEEPCAPS lets step 5 use CAP_SETPCAP after the uid change; step 5
 * clears it again and locks it off. */
static void
drop_ids(const struct sandbox_spec *s, const struct sandbox_ids *id)
{
	uid_t uid = id->uid;
	gid_t gid = id->gid;
	/* the kernel forgets the parent-death signal at a uid change; keep
	 * what the parent asked for, so a worker dies with its supervisor */
	int pdeath = 0;
	if (prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0) < 0)
		pdeath = 0;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		log_fatal_errno("sandbox %s: PR_SET_KEEPCAPS", s->service);
	if (setgroups((size_t)id->ngroups, id->groups) < 0)
		log_fatal_errno("sandbox %s: setgroups", s->service);
	if (setresgid(gid, gid, gid) < 0)
		log_fatal_errno("sandbox %s: setresgid", s->service);
	if (setresuid(uid, uid, uid) < 0)
		log_fatal_errno("sandbox %s: setresuid", s->service);

	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[2];
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		log_fatal_errno("sandbox %s: getres[ug]id", s->service);
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid)
		log_fatal("sandbox %s: uid/gid change did not take", s->service);
	int n = getgroups(2, groups);
	if (n != id->ngroups || (n == 1 && groups[0] != id->groups[0]))
		log_fatal("sandbox %s: supplementary groups not reset", s->service);
	if (pdeath != 0 && prctl(PR_SET_PDEATHSIG, pdeath, 0, 0, 0) < 0)
		log_fatal_errno("sandbox %s: PR_SET_PDEATHSIG", s->service);
}

static void
set_effective_setpcap(const struct sandbox_spec *s)
{
	cap_t caps = cap_get_proc();
	cap_value_t v = CAP_SETPCAP;
	if (caps == NULL || cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0 ||
	    cap_set_proc(caps) < 0)
		log_fatal_errno("sandbox %s: raise CAP_SETPCAP to drop the rest",
		    s->service);
	cap_free(caps);
}

/* Step 5. */
static void
drop_caps(const struct sandbox_spec *s)
{
	set_effective_setpcap(s);
	int last = (int)cap_max_bits();
	for (int c = 0; c < last; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			log_fatal_errno("sandbox %s: drop bounding cap %d",
			    s->service, c);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		log_fatal_errno("sandbox %s: clear ambient caps", s->service);
	/* uid 0 must never regain capabilities, by exec or by setuid */
	unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
	    SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
	    SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
	    SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		log_fatal_errno("sandbox %s: lock securebits", s->service);

	cap_t none = cap_init();
	if (none == NULL || cap_set_proc(none) < 0)
		log_fatal_errno("sandbox %s: clear capability sets", s->service);

	cap_t now = cap_get_proc();
	if (now == NULL || cap_compare(now, none) != 0)
		log_fatal("sandbox %s: capabilities remain after drop", s->service);
	cap_free(now);
	cap_free(none);
	for (int c = 0; c < last; c++) {
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 0)
			log_fatal("sandbox %s: bounding cap %d remains", s->service, c);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) != 0)
			log_fatal("sandbox %s: ambient cap %d remains", s->service, c);
	}
	if (prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) != 0)
		log_fatal("sandbox %s: keepcaps still set", s->service);
}

/* Step 6. */
static void
set_no_new_privs(const struct sandbox_spec *s)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		log_fatal_errno("sandbox %s: no_new_privs", s->service);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		log_fatal_errno("sandbox %s: dumpable 0", s->service);
}

/* Step 7. */
static void
set_rlimits(const struct sandbox_spec *s)
{
	for (int r = 0; r < SANDBOX_RL_COUNT; r++) {
		if (!s->rlimit[r].set)
			continue;
		if (SANDBOX_SANITIZED && rlimit_is_memory(r)) {
			log_debug("sandbox %s: rlimit %s skipped in a sanitizer build",
			    s->service, rlimit_table[r].name);
			continue;
		}
		rlim_t v = s->rlimit[r].value == UINT64_MAX ? RLIM_INFINITY
		    : (rlim_t)s->rlimit[r].value;
		struct rlimit rl = { v, v }, got;
		if (setrlimit(rlimit_table[r].resource, &rl) < 0)
			log_fatal_errno("sandbox %s: rlimit %s", s->service,
			    rlimit_table[r].name);
		if (getrlimit(rlimit_table[r].resource, &got) < 0 ||
		    got.rlim_cur != v || got.rlim_max != v)
			log_fatal("sandbox %s: rlimit %s did not take", s->service,
			    rlimit_table[r].name);
	}
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* A directory fd names a place outside the chroot: getdents64 lists it and
 * any *at() call with a path walks from it. The *at() rules pin their
 * directory to AT_FDCWD, but fstat's AT_EMPTY_PATH form of newfstatat and
 * getdents64 take any fd, so no directory may cross into the sandbox. */
static void
refuse_kept_directories(const struct sandbox_spec *s, const int *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (fstat(k[i], &st) < 0) {
			if (errno == EBADF)
				continue;   /* asked to keep, but not open */
			log_fatal_errno("sandbox %s: fstat kept fd %d", s->service,
			    k[i]);
		}
		if (S_ISDIR(st.st_mode))
			log_fatal("sandbox %s: kept fd %d is a directory", s->service,
			    k[i]);
	}
}

/* Step 8: close the gaps between kept fds, then check the low range. */
#define SANDBOX_KEEP_MAX 64
/* room for the keep list, the log fd and fds 0-2 */
static void
close_other_fds(const struct sandbox_spec *s, const int *keep, size_t nkeep)
{
	int k[SANDBOX_KEEP_MAX + 4];
	size_t n = 0;

	if (nkeep > SANDBOX_KEEP_MAX)
		log_fatal("sandbox %s: too many fds to keep", s->service);
	for (size_t i = 0; i < nkeep; i++)
		if (keep[i] >= 0)
			k[n++] = keep[i];
	if (log_fd() >= 0)
		k[n++] = log_fd();
	/* 0-2 stay (the supervisor points them at /dev/null or the log): were
	 * they closed, the next open() would land on them, and libraries such
	 * as sqlite refuse a database on fd 0-2. */
	for (int std = 0; std <= 2; std++)
		if (fcntl(std, F_GETFD) >= 0)
			k[n++] = std;
	qsort(k, n, sizeof(k[0]), cmp_int);

	unsigned int from = 0;
	for (size_t i = 0; i <= n; i++) {
		unsigned int to = i < n ? (unsigned int)k[i] : ~0U;
		if (to > from && close_range(from, to == ~0U ? ~0U : to - 1, 0) < 0)
			log_fatal_errno("sandbox %s: close_range", s->service);
		if (i < n)
			from = (unsigned int)k[i] + 1;
	}
	/* the last close_range reached ~0U, so nothing above the highest kept
	 * fd is open; the gaps below it are checked one by one (a handful of
	 * calls, not one per possible fd) */
	int top = n > 0 ? k[n - 1] : -1;
	for (int fd = 0; fd < top; fd++) {
		if (bsearch(&fd, k, n, sizeof(k[0]), cmp_int) != NULL)
			continue;
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			log_fatal("sandbox %s: fd %d still open", s->service, fd);
	}
	refuse_kept_directories(s, k, n);
}

/* Step 9: the drop is proved by trying to undo it. */
static void
prove_drop(const struct sandbox_spec *s)
{
	if (setuid(0) == 0 || seteuid(0) == 0)
		log_fatal("sandbox %s: setuid(0) succeeded after the drop",
		    s->service);
	if (setgid(0) == 0 || setegid(0) == 0)
		log_fatal("sandbox %s: setgid(0) succeeded after the drop",
		    s->service);
	if (chroot("/") == 0)
		log_fatal("sandbox %s: chroot still permitted", s->service);
}

/* Debug mode only: report the refused call and make it return -EPERM. The
 * handler uses write(2) alone, which every policy allows. */
static volatile int trap_log_fd = 2;

static void
sigsys_handler(int sig, siginfo_t *info, void *vctx)
{
	(void)sig;
	char line[96];
	size_t off = 0;
	const char *pfx = "sandbox: seccomp refused syscall ";
	for (size_t i = 0; pfx[i] != '\0' && off < sizeof(line); i++)
		line[off++] = pfx[i];
	unsigned int nr = (unsigned int)info->si_syscall;
	char digits[12];
	size_t nd = 0;
	do {
		digits[nd++] = (char)('0' + nr % 10);
		nr /= 10;
	} while (nr != 0 && nd < sizeof(digits));
	while (nd > 0 && off < sizeof(line) - 1)
		line[off++] = digits[--nd];
	line[off++] = '\n';
	ssize_t w = write(trap_log_fd, line, off);
	(void)w;
#if defined(__x86_64__)
	ucontext_t *uc = vctx;
	uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
	ucontext_t *uc = vctx;
	uc->uc_mcontext.regs[0] = (unsigned long long)-EPERM;
#else
	(void)vctx;
#endif
}

/* A "syscall-if" rule: allowed when every 32-bit test holds. seccomp has
 * no 32-bit "greater or equal", so argument >= lo becomes the aligned
 * power-of-two blocks that tile [lo, 2^32), one masked compare each. */
static void
add_arg_rule(scmp_filter_ctx ctx, const struct sandbox_spec *s,
    const struct sandbox_arg_rule *r)
{
	struct scmp_arg_cmp cmp[SANDBOX_MAX_ARG_CMPS];
	int ge = -1;
	if (r->ncmp == 0 || r->ncmp > SANDBOX_MAX_ARG_CMPS)
		log_fatal("sandbox %s: argument rule for syscall %d has %u tests",
		    s->service, r->nr, r->ncmp);
	for (unsigned j = 0; j < r->ncmp; j++) {
		const struct sandbox_arg_cmp *c = &r->cmp[j];
		bool bad = c->arg > 5 || (c->op == SANDBOX_CMP_MASKED_EQ &&
		    (c->value & ~c->mask) != 0) || (c->op == SANDBOX_CMP_GE && ge >= 0);
		if (bad)
			log_fatal("sandbox %s: bad argument test for syscall %d",
			    s->service, r->nr);
		if (c->op == SANDBOX_CMP_GE)
			ge = (int)j;
		cmp[j] = SCMP_CMP(c->arg, SCMP_CMP_MASKED_EQ,
		    (scmp_datum_t)c->mask, (scmp_datum_t)c->value);
	}
	uint64_t lo = ge >= 0 ? r->cmp[ge].value : 0, end = 1ULL << 32;
	do {
		if (ge >= 0) {
			uint64_t size = lo == 0 ? end : lo & -lo;  /* alignment */
			while (lo + size > end)
				size >>= 1;
			cmp[ge] = SCMP_CMP(r->cmp[ge].arg, SCMP_CMP_MASKED_EQ,
			    (scmp_datum_t)(~(size - 1) & 0xffffffffu),
			    (scmp_datum_t)lo);
			lo += size;
		}
		int rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, r->nr,
		    r->ncmp, cmp);
		if (rc < 0)
			log_fatal("sandbox %s: seccomp argument rule for syscall %d:"
			    " %s", s->service, r->nr, strerror(-rc));
	} while (ge >= 0 && lo < end);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* glibc's qsort (2.36) asks the kernel for the memory size (sysinfo) the
 * first time it sorts 1 KiB or more and keeps the answer: sort that much
 * once while the call is still allowed, or the first large sort after
 * confinement kills the process. 128 elements of 8 bytes, not 4,096 of
 * one: the same query for ~1/50 of the comparisons. */
static void
warm_qsort(void)
{
	static uint64_t v[1024 / sizeof(uint64_t)];
	qsort(v, sizeof(v) / sizeof(v[0]), sizeof(v[0]), cmp_u64);
}

/* Step 11: the program cloisterd compiled (pre, from filter.c) or, with
 * none, one libseccomp compiles here. */
static void
load_seccomp(const struct sandbox_spec *s, struct sock_fprog *pre)
{
	warm_qsort();
	if (s->on_violation == SANDBOX_LOG_EPERM) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = sigsys_handler;
		sa.sa_flags = SA_SIGINFO;
		trap_log_fd = log_fd() >= 0 ? log_fd() : 2;
		if (sigaction(SIGSYS, &sa, NULL) < 0)
			log_fatal_errno("sandbox %s: SIGSYS handler", s->service);
		log_warn("sandbox %s: DEBUG seccomp mode, refused calls get EPERM",
		    s->service);
	}
	if (pre != NULL) {
		sandbox_filter_install(s, pre);
		free(pre->filter);
		return;
	}
	scmp_filter_ctx ctx = sandbox_build_seccomp(s);
	int rc = seccomp_load(ctx);
	if (rc < 0)
		log_fatal("sandbox %s: seccomp_load: %s", s->service, strerror(-rc));
	seccomp_release(ctx);
}

/* The filter of step 11, built but not loaded: the worker loads it,
 * cloisterd and the audit export it (filter.c). */
scmp_filter_ctx
sandbox_build_seccomp(const struct sandbox_spec *s)
{
	uint32_t def = s->on_violation == SANDBOX_KILL ? SCMP_ACT_KILL_PROCESS
	    : SCMP_ACT_TRAP;
	scmp_filter_ctx ctx = seccomp_init(def);
	if (ctx == NULL)
		log_fatal("sandbox %s: seccomp_init failed", s->service);
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) < 0)
		log_fatal("sandbox %s: seccomp attributes", s->service);
	for (size_t i = 0; i < s->nsyscalls; i++) {
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, s->syscalls[i], 0);
		if (rc < 0)
			log_fatal("sandbox %s: seccomp rule for syscall %d: %s",
			    s->service, s->syscalls[i], strerror(-rc));
	}
	for (size_t i = 0; i < s->ncwd_syscalls; i++) {
		/* every dirfd argument must be AT_FDCWD; compare the low 32 bits
		 * because the argument is an int */
		unsigned mask = sandbox_dirfd_args(s->cwd_syscalls[i]);
		struct scmp_arg_cmp cmp[2];
		unsigned ncmp = 0;
		for (unsigned a = 0; a < 6 && ncmp < 2; a++)
			if (mask & (1u << a))
				cmp[ncmp++] = SCMP_CMP(a, SCMP_CMP_MASKED_EQ, 0xffffffffu,
				    (scmp_datum_t)(uint32_t)AT_FDCWD);
		if (ncmp == 0)
			log_fatal("sandbox %s: syscall %d takes no directory fd",
			    s->service, s->cwd_syscalls[i]);
		int rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW,
		    s->cwd_syscalls[i], ncmp, cmp);
		if (rc < 0)
			log_fatal("sandbox %s: seccomp cwd rule for syscall %d: %s",
			    s->service, s->cwd_syscalls[i], strerror(-rc));
	}
	for (size_t i = 0; i < s->narg_rules; i++)
		add_arg_rule(ctx, s, &s->arg_rules[i]);
	for (size_t i = 0; i < s->nerrno_rules; i++) {
		int rc = seccomp_rule_add(ctx,
		    SCMP_ACT_ERRNO((uint16_t)s->errno_rules[i].err),
		    s->errno_rules[i].nr, 0);
		if (rc < 0)
			log_fatal("sandbox %s: seccomp errno rule %d: %s", s->service,
			    s->errno_rules[i].nr, strerror(-rc));
	}
	return ctx;
}

void
sandbox_confine(const struct sandbox_spec *s, const int *keep, size_t nkeep)
{
	struct sandbox_ids id;

	/* A sandbox that quietly does nothing when not root is a trap. */
	if (geteuid() != 0)
		log_fatal("sandbox %s: must start as root to confine itself",
		    s->service);
	char netns[32], landlock[48];
	/* first, as root: the fd must not outlive confinement */
	struct sock_fprog pre;
	bool precompiled = sandbox_filter_take(s, keep, nkeep, &pre);
	lookup_ids(s, &id);
	sandbox_landlock_check_threads(s);
	sandbox_enter_empty_netns(s, netns, sizeof(netns));
	enter_root(s, &id);
	drop_ids(s, &id);
	drop_caps(s);
	set_no_new_privs(s);
	set_rlimits(s);
	close_other_fds(s, keep, nkeep);
	prove_drop(s);
	sandbox_landlock(s, landlock, sizeof(landlock));
	/* the self-check tests and operators read: which layers took. Logged
	 * before the filter, which need not allow what a log line costs. */
	log_info("sandbox %s: confined (uid %u, root %s; %s; %s; seccomp %zu"
	    " syscalls, %s)", s->service, (unsigned)id.uid, s->root, netns,
	    landlock, s->nsyscalls, precompiled ? "precompiled" : "compiled");
	load_seccomp(s, precompiled ? &pre : NULL);
}
