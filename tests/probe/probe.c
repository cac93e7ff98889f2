/*
 * cloister-probe POLICYFILE — play a compromised worker.
 *
 * For each escape a worker might try, a child confines itself under the
 * policy exactly as a worker would (policy_confine, same keep list shape)
 * and makes the one attempt. The child exits 0 if the call failed, 3 if it
 * succeeded; death by SIGSYS (seccomp kill-process) also counts as refused.
 * One line per attempt: "refused" or "ALLOWED". Exit 0 only if every escape
 * was refused; 1 if any was allowed; 2 on a setup error.
 */
#include "log.h"
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_REFUSED 0
#define CHILD_ALLOWED 3
#define CHILD_SETUP 4

struct probe_ctx {
	const char *policy;
	int root_dirfd;     /* "/" of the real system, kept as a leaked fd */
	pid_t sibling;      /* another process of the same service uid */
	const char *unix_path;
};

typedef int (*attempt_fn)(struct probe_ctx *);

/* Each returns 1 if the escape worked, 0 if it was refused. */
static int
try_open_passwd(struct probe_ctx *c)
{
	(void)c;
	int fd = open("/etc/passwd", O_RDONLY);
	return fd >= 0;
}

static int
try_create_file(struct probe_ctx *c)
{
	(void)c;
	int fd = open("/cloister-probe-was-here", O_WRONLY | O_CREAT | O_EXCL,
	    0600);
	if (fd >= 0) {
		unlink("/cloister-probe-was-here");
		return 1;
	}
	return 0;
}

static int
try_socket_inet(struct probe_ctx *c)
{
	(void)c;
	return socket(AF_INET, SOCK_STREAM, 0) >= 0;
}

static int
try_connect_unix(struct probe_ctx *c)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", c->unix_path);
	return connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
}

static int
try_execve(struct probe_ctx *c)
{
	(void)c;
	char *argv[] = { "/bin/sh", "-c", "exit 0", NULL };
	char *envp[] = { NULL };
	execve("/bin/sh", argv, envp);
	return 0;   /* execve only returns on failure */
}

static int
try_ptrace_sibling(struct probe_ctx *c)
{
	return ptrace(PTRACE_ATTACH, c->sibling, NULL, NULL) == 0;
}

static int
try_kill_sibling(struct probe_ctx *c)
{
	return kill(c->sibling, SIGKILL) == 0;
}

static int
try_setuid0(struct probe_ctx *c)
{
	(void)c;
	/* raw syscall: glibc's setuid() would also signal other threads */
	return syscall(SYS_setuid, 0) == 0;
}

static int
try_escape_dirfd(struct probe_ctx *c)
{
	int fd = openat(c->root_dirfd, "etc/passwd", O_RDONLY);
	if (fd >= 0)
		return 1;
	return fchdir(c->root_dirfd) == 0;
}

static int
try_escape_dotdot(struct probe_ctx *c)
{
	(void)c;
	for (int i = 0; i < 32; i++)
		if (chdir("..") < 0)
			return 0;
	struct stat st;
	/* out of the chroot if the real /etc/passwd is reachable */
	if (stat("etc/passwd", &st) == 0)
		return 1;
	return chroot(".") == 0;
}

static int
try_mount(struct probe_ctx *c)
{
	(void)c;
	return mount("none", "/", "tmpfs", 0, NULL) == 0;
}

static int
try_unshare(struct probe_ctx *c)
{
	(void)c;
	/* a user namespace would hand back a full capability set */
	return unshare(CLONE_NEWUSER) == 0 || unshare(CLONE_NEWNS) == 0;
}

static int
try_capset(struct probe_ctx *c)
{
	(void)c;
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};
	struct __user_cap_data_struct d[2];
	memset(d, 0xff, sizeof(d));
	return syscall(SYS_capset, &h, d) == 0;
}

static int
try_proc1_mem(struct probe_ctx *c)
{
	(void)c;
	int fd = open("/proc/1/mem", O_RDONLY);
	if (fd < 0)
		return 0;
	char b;
	return pread(fd, &b, 1, 0x400000) >= 0;
}

static const struct {
	const char *name;
	attempt_fn fn;
} attempts[] = {
	{ "open /etc/passwd", try_open_passwd },
	{ "create a file", try_create_file },
	{ "socket(AF_INET)", try_socket_inet },
	{ "connect to a unix socket path", try_connect_unix },
	{ "execve /bin/sh", try_execve },
	{ "ptrace-attach a sibling", try_ptrace_sibling },
	{ "kill() a sibling", try_kill_sibling },
	{ "setuid(0)", try_setuid0 },
	{ "escape chroot via a kept directory fd", try_escape_dirfd },
	{ "escape chroot via ..", try_escape_dotdot },
	{ "mount", try_mount },
	{ "unshare", try_unshare },
	{ "capset", try_capset },
	{ "read /proc/1/mem", try_proc1_mem },
};

static int
lookup_ids(const char *user, const char *group, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(user);
	struct group *gr = getgrnam(group);
	if (pw == NULL || gr == NULL)
		return -1;
	*uid = pw->pw_uid;
	*gid = gr->gr_gid;
	return 0;
}

/* A process of the same service user, as another worker would be: it drops
 * to the policy's uid (no seccomp, so nothing but the probe can kill it) and
 * waits. */
static pid_t
spawn_sibling(const struct policy *p)
{
	uid_t uid;
	gid_t gid;
	if (lookup_ids(p->spec.user, p->spec.group, &uid, &gid) < 0)
		return -1;
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		_exit(CHILD_SETUP);
	for (int i = 0; i < 600; i++)
		pause();
	_exit(0);
}

static int
run_attempt(struct probe_ctx *c, const struct policy *p, size_t i)
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		/* the leaked fd a sloppy worker might carry into its sandbox */
		int keep[] = { c->root_dirfd };
		policy_confine(p->path, NULL, keep, 1);
		_exit(attempts[i].fn(c) ? CHILD_ALLOWED : CHILD_REFUSED);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == CHILD_REFUSED)
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == CHILD_ALLOWED)
		return 1;
	fprintf(stderr, "cloister-probe: attempt '%s' ended oddly (status 0x%x);"
	    " confinement failed?\n", attempts[i].name, st);
	return -1;
}

int
main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: cloister-probe POLICYFILE\n");
		return 2;
	}
	log_open("cloister-probe", true);
	static struct policy p;
	char err[POLICY_ERR_MAX];
	if (policy_load(argv[1], POLICY_DEFAULT_FLAGS, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "cloister-probe: %s\n", err);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "cloister-probe: run as root (it confines itself)\n");
		return 2;
	}

	struct probe_ctx c = { .policy = argv[1] };
	c.root_dirfd = open("/", O_RDONLY | O_DIRECTORY);
	/* a live unix socket outside the chroot, for the connect attempt */
	char path[] = "/tmp/cloister-probe-XXXXXX";
	if (c.root_dirfd < 0 || mkdtemp(path) == NULL) {
		perror("cloister-probe: setup");
		return 2;
	}
	char sockpath[sizeof(path) + 8];
	snprintf(sockpath, sizeof(sockpath), "%s/sock", path);
	c.unix_path = sockpath;
	int ls = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sockpath);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(sockpath, 0666) < 0 || chmod(path, 0755) < 0 ||
	    listen(ls, 8) < 0) {
		perror("cloister-probe: unix socket");
		return 2;
	}

	printf("policy %s (service %s, user %s, root %s, on-violation %s)\n",
	    argv[1], p.spec.service, p.spec.user, p.spec.root,
	    p.spec.on_violation == SANDBOX_KILL ? "kill" : "log-eperm");
	int allowed = 0, errors = 0;
	for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
		c.sibling = spawn_sibling(&p);
		if (c.sibling < 0) {
			errors++;
			continue;
		}
		int r = run_attempt(&c, &p, i);
		kill(c.sibling, SIGKILL);
		waitpid(c.sibling, NULL, 0);
		if (r < 0) {
			printf("%-40s error\n", attempts[i].name);
			errors++;
		} else {
			printf("%-40s %s\n", attempts[i].name,
			    r ? "ALLOWED" : "refused");
			allowed += r;
		}
		fflush(stdout);
	}
	close(ls);
	unlink(sockpath);
	rmdir(path);
	printf("%d allowed, %d errors\n", allowed, errors);
	if (errors)
		return 2;
	return allowed ? 1 : 0;
}
