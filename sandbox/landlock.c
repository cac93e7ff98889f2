/*
 * landlock: the filesystem, TCP and scope layer, through the raw syscalls
 * (no library). The structures and bits are spelled out here because the
 * installed <linux/landlock.h> may predate the kernel's ABI; the kernel
 * takes each structure at the size of the ABI that defined its fields.
 */
#include "layers.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#define LL_CREATE_RULESET_VERSION (1u << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

/* filesystem rights, by the ABI that brought them */
#define LL_FS_EXECUTE      (1ULL << 0)
#define LL_FS_WRITE_FILE   (1ULL << 1)
#define LL_FS_READ_FILE    (1ULL << 2)
#define LL_FS_READ_DIR     (1ULL << 3)
#define LL_FS_REMOVE_DIR   (1ULL << 4)
#define LL_FS_REMOVE_FILE  (1ULL << 5)
#define LL_FS_MAKE_DIR     (1ULL << 7)
#define LL_FS_MAKE_REG     (1ULL << 8)
#define LL_FS_ABI1         ((1ULL << 13) - 1)   /* EXECUTE .. MAKE_SYM */
#define LL_FS_REFER        (1ULL << 13)         /* ABI 2 */
#define LL_FS_TRUNCATE     (1ULL << 14)         /* ABI 3 */
#define LL_FS_IOCTL_DEV    (1ULL << 15)         /* ABI 5 */
/* ABI 4 */
#define LL_NET_BIND_TCP    (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
/* ABI 6 */
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LL_SCOPE_SIGNAL    (1ULL << 1)

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;   /* ABI 4 */
	uint64_t scoped;               /* ABI 6 */
};

struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

/* The ruleset of one ABI: everything it knows is handled (denied unless
 * a rule allows it), and attr_size is what that kernel accepts. */
static size_t
ruleset_for_abi(int abi, struct ll_ruleset_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->handled_access_fs = LL_FS_ABI1;
	if (abi >= 2)
		a->handled_access_fs |= LL_FS_REFER;
	if (abi >= 3)
		a->handled_access_fs |= LL_FS_TRUNCATE;
	if (abi >= 5)
		a->handled_access_fs |= LL_FS_IOCTL_DEV;
	if (abi < 4)
		return sizeof(a->handled_access_fs);
	a->handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	if (abi < 6)
		return offsetof(struct ll_ruleset_attr, scoped);
	a->scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
	return sizeof(*a);
}

/* What a process may do beneath its root: nothing, read, or keep its own
 * files (stored's spool). Never execute, never make devices, fifos,
 * sockets or symlinks. */
static uint64_t
tree_access(enum sandbox_tree t)
{
	uint64_t read = LL_FS_READ_FILE | LL_FS_READ_DIR;
	switch (t) {
	case SANDBOX_TREE_NONE:
		return 0;
	case SANDBOX_TREE_READ:
		return read;
	case SANDBOX_TREE_OWN:
		return read | LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR |
		    LL_FS_REMOVE_FILE | LL_FS_MAKE_DIR | LL_FS_MAKE_REG |
		    LL_FS_REFER | LL_FS_TRUNCATE;
	}
	return 0;
}

/* Allow the tree's rights beneath "/", which is the chroot by now. */
static void
add_tree_rule(const struct sandbox_spec *s, int ruleset, uint64_t handled)
{
	uint64_t access = tree_access(s->tree) & handled;
	if (access == 0)
		return;
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		log_fatal_errno("sandbox %s: landlock: open /", s->service);
	struct ll_path_beneath_attr pb = {
		.allowed_access = access, .parent_fd = root,
	};
	if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb,
	    0) < 0)
		log_fatal_errno("sandbox %s: landlock_add_rule", s->service);
	close(root);
}

/* The TCP ports a "network host" process may connect to (ABI 4): the
 * only outward-facing worker reaches 443 and 53 and nothing else. */
static void
add_connect_rules(const struct sandbox_spec *s, int ruleset, uint64_t handled)
{
	if (!s->host_network || !(handled & LL_NET_CONNECT_TCP))
		return;
	for (size_t i = 0; i < s->nconnect_ports; i++) {
		struct ll_net_port_attr np = {
			.allowed_access = LL_NET_CONNECT_TCP,
			.port = s->connect_ports[i],
		};
		if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_NET_PORT, &np,
		    0) < 0)
			log_fatal_errno("sandbox %s: landlock net rule", s->service);
	}
}

/* With no tree at all, even its own root must be closed to it. */
static void
check_no_tree(const struct sandbox_spec *s)
{
	if (s->tree != SANDBOX_TREE_NONE)
		return;
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 || errno != EACCES)
		log_fatal("sandbox %s: landlock did not close the filesystem",
		    s->service);
}

/* "landlock ABI 7: fs, net, scope"; for an older ABI, a warning naming
 * what this kernel cannot hold. */
static void
describe(const struct sandbox_spec *s, int abi, char *desc, size_t len)
{
	snprintf(desc, len, "landlock ABI %d: fs%s%s", abi,
	    abi >= 4 ? ", net" : "", abi >= 6 ? ", scope" : "");
	if (abi < 4)
		log_warn("sandbox %s: landlock ABI %d, no TCP rules, no signal or"
		    " abstract socket scoping", s->service, abi);
	else if (abi < 6)
		log_warn("sandbox %s: landlock ABI %d, no signal or abstract"
		    " socket scoping", s->service, abi);
}

/* Landlock restricts the calling thread only (and the threads it starts
 * later): another thread would stay outside. /proc/self/task has two links
 * plus one per thread. */
void
sandbox_landlock_check_threads(const struct sandbox_spec *s)
{
	struct stat st;
	if ((s->skip_layers & SANDBOX_SKIP_LANDLOCK) ||
	    stat("/proc/self/task", &st) < 0)
		return;   /* no /proc: nothing to count with */
	if (st.st_nlink > 3)
		log_fatal("sandbox %s: %lu threads; Landlock would hold only the"
		    " calling one", s->service, (unsigned long)st.st_nlink - 2);
}

void
sandbox_landlock(const struct sandbox_spec *s, char *desc, size_t len)
{
	if (s->skip_layers & SANDBOX_SKIP_LANDLOCK) {
		snprintf(desc, len, "landlock skipped");
		return;
	}
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LL_CREATE_RULESET_VERSION);
	if (abi < 1) {
		/* ENOSYS: not built; EOPNOTSUPP: built but not enabled */
		log_warn("sandbox %s: no landlock (%s); filesystem, TCP and"
		    " scope rules are seccomp's and chroot's alone", s->service,
		    strerror(errno));
		snprintf(desc, len, "no landlock");
		return;
	}
	struct ll_ruleset_attr attr;
	size_t size = ruleset_for_abi((int)abi, &attr);
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (ruleset < 0)
		log_fatal_errno("sandbox %s: landlock_create_ruleset", s->service);
	add_tree_rule(s, ruleset, attr.handled_access_fs);
	add_connect_rules(s, ruleset, attr.handled_access_net);
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		log_fatal_errno("sandbox %s: landlock_restrict_self", s->service);
	close(ruleset);
	check_no_tree(s);
	describe(s, (int)abi, desc, len);
}
