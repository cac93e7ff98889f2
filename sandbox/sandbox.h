/*
 * sandbox: the one call every Cloister process makes to confine itself.
 *
 * sandbox_confine() runs, in this order, and dies (log_fatal) at the first
 * step that fails or does not verify:
 *   1. the ids: the instance's own uid/gid from the supervisor, or else
 *      the service user and group (looked up before chroot: NSS needs files);
 *      one thread only (Landlock, step 10, holds the calling thread alone)
 *   2. an empty network namespace, while the capability to is still
 *      there: the one cloisterd hands over at CLOISTER_FD_NETNS (setns,
 *      then that fd is closed), or else one of its own (unshare
 *      CLONE_NEWNET): new sockets reach nothing
 *   3. chroot(root) + chdir("/"), checked by comparing "/" and "/..";
 *      the root is root's and not group/other writable (or, for a tree
 *      only read, root_owned_by_uid, the uid's own)
 *   4. setgroups, setresgid, setresuid (all three ids), checked
 *   5. drop every capability: bounding set, ambient set, then effective,
 *      permitted, inheritable; lock the securebits so root gains nothing
 *   6. PR_SET_NO_NEW_PRIVS 1, PR_SET_DUMPABLE 0, checked
 *   7. rlimits from the spec, checked
 *   8. close every fd not on the keep list (0-2 and the log fd stay);
 *      a kept fd that is a directory is fatal (a path outside the root)
 *   9. prove it: setuid(0) and setgid(0) must fail
 *  10. Landlock: the tree beneath the root as spec->tree says, nothing
 *      else; no TCP bind/connect; no signal or abstract unix socket
 *      outside the process (each as far as the kernel's ABI knows)
 *  11. seccomp allowlist (libseccomp) with argument rules, default
 *      kill-process; or, in the
 *      explicit debug mode, EPERM plus a log line naming the syscall.
 *      Under cloisterd the program comes compiled, in a sealed memfd at
 *      CLOISTER_FD_SECCOMP, read (and that fd closed) before step 1;
 *      without that fd the process compiles its own (filter.c)
 * Steps 2 and 10 are best effort: a kernel without them gets a warning
 * naming the missing layer and the process still starts.
 * The caller loads everything it needs (libraries, keys, certificates)
 * before the call and reads no untrusted input until it returns.
 */
#ifndef CLOISTER_SANDBOX_H
#define CLOISTER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SANDBOX_NAME_MAX 64
#define SANDBOX_PATH_MAX 256
#define SANDBOX_MAX_SYSCALLS 256
#define SANDBOX_MAX_ERRNO 32
#define SANDBOX_MAX_ARG_RULES 64
#define SANDBOX_MAX_ARG_CMPS 4

enum sandbox_violation {
	SANDBOX_KILL,       /* SECCOMP_RET_KILL_PROCESS: the production mode */
	SANDBOX_LOG_EPERM,  /* debug: the call fails with EPERM and is logged */
};

enum sandbox_rlimit {
	SANDBOX_RL_NOFILE,
	SANDBOX_RL_NPROC,
	SANDBOX_RL_CORE,
	SANDBOX_RL_AS,
	SANDBOX_RL_DATA,
	SANDBOX_RL_FSIZE,
	SANDBOX_RL_COUNT
};

struct sandbox_rl {
	bool set;
	uint64_t value;    /* soft = hard = value; UINT64_MAX = unlimited */
};

/* A syscall that fails with a chosen errno instead of killing (e.g. a call
 * a library tries and copes without). */
struct sandbox_errno_rule {
	int nr;
	int err;
};

/* One argument test on the low 32 bits, which is what the kernel reads of
 * an int argument (fd, command, level, flags). Upper bits are not compared:
 * the kernel ignores them for such arguments, and a test on all 64 bits
 * could be dodged by a caller setting them (fd 0x100000003 is fd 3). */
enum sandbox_cmp_op {
	SANDBOX_CMP_MASKED_EQ,  /* (argument & mask) == value */
	SANDBOX_CMP_GE,         /* argument >= value, unsigned (fd >= 5) */
};

struct sandbox_arg_cmp {
	unsigned arg;       /* 0..5 */
	enum sandbox_cmp_op op;
	uint32_t mask;      /* MASKED_EQ only */
	uint32_t value;
};

/* A syscall allowed only when every test holds; several rules for one
 * syscall allow it when any of them holds (fcntl: one rule per command).
 * At most one test of a rule is a SANDBOX_CMP_GE. */
struct sandbox_arg_rule {
	int nr;
	unsigned ncmp;
	struct sandbox_arg_cmp cmp[SANDBOX_MAX_ARG_CMPS];
};

/* What Landlock (step 10) lets the process open beneath its root. */
enum sandbox_tree {
	SANDBOX_TREE_NONE,   /* nothing: not even its root can be listed */
	SANDBOX_TREE_READ,   /* read files, list directories */
	SANDBOX_TREE_OWN,    /* also write, create, rename, remove files and
	                      * directories; never execute, never make a
	                      * device, fifo, socket or symlink */
};

/* Layers a test switches off to show what each one holds on its own
 * (cloister-probe --without); no policy line sets them. */
#define SANDBOX_SKIP_NETNS    (1u << 0)
#define SANDBOX_SKIP_LANDLOCK (1u << 1)

struct sandbox_spec {
	char service[SANDBOX_NAME_MAX];
	char user[SANDBOX_NAME_MAX];
	char group[SANDBOX_NAME_MAX];
	/* The instance's own ids (0: none, run as user/group). With them the
	 * supplementary groups are exactly { group } when group_access (a
	 * service reaching its files through their group), else none. Without
	 * them they are { group's gid }. */
	unsigned instance_uid, instance_gid;
	bool group_access;
	/* "network host": stay in the host's network namespace (pushd, the
	 * one worker that connects out; cloisterd refuses it for any other
	 * role) */
	bool host_network;
	/* with it, the TCP ports it may connect to (Landlock ABI 4): 443, 53
	 * and a test port its configuration names (sandbox_connect_port) */
	uint16_t connect_ports[4];
	size_t nconnect_ports;
	char root[SANDBOX_PATH_MAX];
	/* The root may belong to the uid it runs as, not only to root: a tree
	 * the process only reads (tree READ or NONE; cloisterctl import's
	 * reader of a Maildir, chrooted in it as its owner). No policy line
	 * sets it. */
	bool root_owned_by_uid;
	enum sandbox_tree tree;
	unsigned skip_layers;   /* SANDBOX_SKIP_*; 0 in every worker */
	enum sandbox_violation on_violation;
	struct sandbox_rl rlimit[SANDBOX_RL_COUNT];
	int syscalls[SANDBOX_MAX_SYSCALLS];   /* resolved numbers */
	size_t nsyscalls;
	/* *at() calls allowed only with AT_FDCWD as the directory: a directory
	 * fd that leaked into the sandbox cannot be used to reach outside. */
	int cwd_syscalls[SANDBOX_MAX_SYSCALLS];
	size_t ncwd_syscalls;
	struct sandbox_errno_rule errno_rules[SANDBOX_MAX_ERRNO];
	size_t nerrno_rules;
	/* syscalls allowed only with these arguments ("syscall-if") */
	struct sandbox_arg_rule arg_rules[SANDBOX_MAX_ARG_RULES];
	size_t narg_rules;
};

/* Confine the calling process; returns only if every step took effect.
 * keep: the fds to keep open (any order; the log fd is kept by itself). */
void sandbox_confine(const struct sandbox_spec *spec, const int *keep,
    size_t nkeep);

/* Names and /proc/PID/limits labels for the rlimits, for parsers and audit. */
const char *sandbox_rlimit_name(enum sandbox_rlimit r);
const char *sandbox_rlimit_proc_label(enum sandbox_rlimit r);
int sandbox_rlimit_resource(enum sandbox_rlimit r);

/* Bit i set: argument i of syscall nr is a directory fd (the *at() calls);
 * 0 if it takes none, and then it cannot be a syscall-cwd rule. */
unsigned sandbox_dirfd_args(int nr);

/* Built with ASan: memory rlimits cannot hold (shadow memory), and the
 * sanitizer runtime needs a few more syscalls (policy/sanitizer.policy). */
bool sandbox_sanitized_build(void);

/* The BPF program step 11 loads for spec, built by the same code but not
 * loaded (cloister-audit compares it with a live worker's). out->filter
 * is malloc'd; 0, or -1 if it could not be exported. */
struct sock_fprog;
int sandbox_filter_bpf(const struct sandbox_spec *spec, struct sock_fprog *out);

/* That program in a memfd sealed against any change (write, grow, shrink,
 * seal), opened read-only and close-on-exec: what cloisterd compiles once
 * per service and hands every worker at CLOISTER_FD_SECCOMP (fds.h),
 * where step 11 loads it instead of compiling. The fd, or -1 with err. */
int sandbox_filter_memfd(const struct sandbox_spec *s, char *err,
    size_t errlen);

/* Read the program from such an fd after checking it: open read-only,
 * all four seals set, a size that is a whole BPF program of at most
 * BPF_MAXINSNS instructions. 0 with out->filter malloc'd, or -1 with err
 * (a worker refuses to start on it). */
int sandbox_filter_read(int fd, struct sock_fprog *out, char *err,
    size_t errlen);

#endif
