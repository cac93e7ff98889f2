/*
 * Unit tests for sandbox/: as root, a child confines itself and the parent
 * reads /proc to see every step took effect; then the fatal paths (bad
 * root, writable root, not root) must end the child before it reads input,
 * and a refused syscall must kill it (or fail with EPERM in debug mode).
 */
#include "check.h"
#include "log.h"
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[] = "/tmp/cloister-sbx-XXXXXX";
static struct policy pol;
static int kept_dir = -1;   /* a directory fd some cases try to keep */

static void
make_policy_with(const char *rootdir, const char *mode, const char *extra)
{
	char text[2048], err[POLICY_ERR_MAX];
	snprintf(text, sizeof(text),
	    "service t\nprocess t\nuser nobody\ngroup nogroup\nroot %s\n"
	    "on-violation %s\nfiles none\n"
	    "rlimit nofile 16\nrlimit nproc 0\nrlimit core 0\nrlimit fsize 0\n"
	    "rlimit as 1G\n"
	    "syscall read write exit_group rt_sigreturn brk munmap : test\n"
	    "%s%s%s",
	    rootdir, mode, extra,
	    /* what policy/sanitizer.policy adds in ASan builds */
	    !sandbox_sanitized_build() ? "" : "syscall madvise sigaltstack "
	    "rt_sigaction sched_yield getpid gettid : asan\n"
	    "syscall-if mprotect arg2&PROT_EXEC==0 : asan\n",
	    !sandbox_sanitized_build() || strstr(extra, "mmap") != NULL ? ""
	    : "syscall-if mmap arg2&PROT_EXEC==0 : asan\n");
	if (policy_parse("t", text, strlen(text), POLICY_CHECK_USERS, &pol, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		CHECK(!"policy parses");
	}
}

static void
make_policy(const char *rootdir, const char *mode)
{
	make_policy_with(rootdir, mode, "");
}

static char *
proc_field(pid_t pid, const char *key, char *out, size_t size)
{
	char path[64], text[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
	if (fd >= 0)
		close(fd);
	out[0] = '\0';
	if (n <= 0)
		return out;
	text[n] = '\0';
	char *p = strstr(text, key);
	if (p == NULL)
		return out;
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	size_t i = 0;
	while (p[i] && p[i] != '\n' && i + 1 < size) {
		out[i] = p[i];
		i++;
	}
	out[i] = '\0';
	return out;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The child confines, reports readiness by blocking on the pipe, then makes
 * the call the parent asked for: 'q' quit, 'o' open a file, 's' sort 1 KiB
 * (glibc's qsort asks the kernel for the memory size at that size). */
static pid_t
spawn_confined(int *ctl)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		int keep[] = { p[0] };
		sandbox_confine(&pol.spec, keep, 1);
		char c;
		while (read(p[0], &c, 1) == 1) {
			if (c == 'q')
				_exit(0);
			if (c == 'o') {
				int fd = open("/x", O_RDONLY);
				_exit(fd < 0 && errno == EPERM ? 42 : 43);
			}
			if (c == 's') {
				static uint64_t v[1024 / sizeof(uint64_t)];
				for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
					v[i] = (i * 2654435761u) % 977;
				qsort(v, sizeof(v) / sizeof(v[0]), sizeof(v[0]), cmp_u64);
				_exit(v[0] <= v[1] ? 44 : 45);
			}
		}
		_exit(0);
	}
	close(p[0]);
	*ctl = p[1];
	return pid;
}

static int
wait_status(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

/* Wait until the child's filter is in place (Seccomp turns 2). */
static void
wait_confined(pid_t pid)
{
	char v[128];
	for (int i = 0; i < 200; i++) {
		if (strcmp(proc_field(pid, "Seccomp:", v, sizeof(v)), "2") == 0)
			break;
		usleep(10000);
	}
}

/* A confined child that makes the call cmd (spawn_confined); its status. */
static int
confined_child_runs(char cmd)
{
	int ctl;
	pid_t pid = spawn_confined(&ctl);
	wait_confined(pid);
	CHECK_EQ(write(ctl, &cmd, 1), 1);
	int st = wait_status(pid);
	close(ctl);
	return st;
}

static void
test_confined_state(void)
{
	make_policy(root, "kill");
	int ctl;
	pid_t pid = spawn_confined(&ctl);
	char v[128];
	wait_confined(pid);
	CHECK(strcmp(proc_field(pid, "Seccomp:", v, sizeof(v)), "2") == 0);
	CHECK(strcmp(proc_field(pid, "NoNewPrivs:", v, sizeof(v)), "1") == 0);
	CHECK(strcmp(proc_field(pid, "CapEff:", v, sizeof(v)),
	    "0000000000000000") == 0);
	CHECK(strcmp(proc_field(pid, "CapPrm:", v, sizeof(v)),
	    "0000000000000000") == 0);
	CHECK(strcmp(proc_field(pid, "CapBnd:", v, sizeof(v)),
	    "0000000000000000") == 0);
	CHECK(strcmp(proc_field(pid, "CapAmb:", v, sizeof(v)),
	    "0000000000000000") == 0);
	CHECK(strcmp(proc_field(pid, "Uid:", v, sizeof(v)),
	    "65534\t65534\t65534\t65534") == 0);
	CHECK(strcmp(proc_field(pid, "Groups:", v, sizeof(v)), "65534 ") == 0);
	char path[64], link[256];
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	CHECK(strcmp(link, root) == 0);
	/* a network namespace of its own (the second layer) */
	char mine[64], its[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	n = readlink(path, its, sizeof(its) - 1);
	its[n > 0 ? n : 0] = '\0';
	n = readlink("/proc/self/ns/net", mine, sizeof(mine) - 1);
	mine[n > 0 ? n : 0] = '\0';
	CHECK(its[0] != '\0' && strcmp(its, mine) != 0);
	/* a refused syscall kills the whole process */
	CHECK_EQ(write(ctl, "o", 1), 1);
	int st = wait_status(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	close(ctl);
}

/* A confined worker may sort a large array: the sandbox ran glibc's one-time
 * memory-size query before the filter (which refuses sysinfo) went on. */
static void
test_sort_after_confinement(void)
{
	make_policy(root, "kill");
	int st = confined_child_runs('s');
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 44);
}

/* The instance's own ids (what cloisterd gives a worker): all four uids
 * and gids are that number; the supplementary groups are the policy's
 * group with group_access ('files own'), none without. */
static void
check_instance_ids(bool group_access, const char *want_groups)
{
	make_policy(root, "kill");
	pol.spec.instance_uid = pol.spec.instance_gid = 2000000123u;
	pol.spec.group_access = group_access;
	int ctl;
	pid_t pid = spawn_confined(&ctl);
	char v[128];
	wait_confined(pid);
	CHECK(strcmp(proc_field(pid, "Uid:", v, sizeof(v)),
	    "2000000123\t2000000123\t2000000123\t2000000123") == 0);
	CHECK(strcmp(proc_field(pid, "Gid:", v, sizeof(v)),
	    "2000000123\t2000000123\t2000000123\t2000000123") == 0);
	proc_field(pid, "Groups:", v, sizeof(v));
	if (strcmp(v, want_groups) != 0)
		fprintf(stderr, "  groups '%s', want '%s'\n", v, want_groups);
	CHECK(strcmp(v, want_groups) == 0);
	CHECK_EQ(write(ctl, "q", 1), 1);
	int st = wait_status(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(ctl);
}

static void
test_instance_ids(void)
{
	check_instance_ids(false, "");
	check_instance_ids(true, "65534 ");   /* nogroup */
}

static void
test_debug_mode(void)
{
	make_policy(root, "log-eperm");
	int ctl;
	pid_t pid = spawn_confined(&ctl);
	CHECK_EQ(write(ctl, "o", 1), 1);
	int st = wait_status(pid);
	if (!(WIFEXITED(st) && WEXITSTATUS(st) == 42))
		fprintf(stderr, "  debug-mode child status 0x%x\n", st);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42);  /* EPERM, alive */
	close(ctl);
}

/* A confinement that cannot be done must end the process (exit 1) before
 * it reads the byte waiting in its pipe. */
static void
expect_fatal(const char *what, void (*before)(void))
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "q", 1), 1);
	pid_t pid = fork();
	if (pid == 0) {
		if (before)
			before();
		int keep[] = { p[0], kept_dir };
		sandbox_confine(&pol.spec, keep, 2);
		_exit(0);
	}
	int st = wait_status(pid);
	if (!(WIFEXITED(st) && WEXITSTATUS(st) == 1)) {
		fprintf(stderr, "  case: %s (status 0x%x)\n", what, st);
		CHECK(!"confinement failure is fatal");
	}
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);    /* the input was never read */
	close(p[0]);
	close(p[1]);
}

/* A parent-death signal the parent asked for survives the uid change, so a
 * confined worker dies with its supervisor even if nothing else tells it. */
static void
test_pdeathsig_survives(void)
{
	make_policy(root, "kill");
	int report[2], p[2];
	CHECK_EQ(pipe(report), 0);
	CHECK_EQ(pipe(p), 0);   /* the test holds the write end: no EOF */
	pid_t mid = fork();
	if (mid == 0) {
		pid_t child = fork();
		if (child == 0) {
			close(p[1]);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			int keep[] = { p[0] };
			sandbox_confine(&pol.spec, keep, 1);
			char c;
			while (read(p[0], &c, 1) != 0)
				;
			_exit(0);
		}
		/* tell the test who the child is, let it confine, then vanish */
		if (write(report[1], &child, sizeof(child)) != sizeof(child))
			_exit(2);
		usleep(300 * 1000);
		_exit(0);
	}
	close(report[1]);
	close(p[0]);
	pid_t child = 0;
	CHECK_EQ(read(report[0], &child, sizeof(child)), (long)sizeof(child));
	waitpid(mid, NULL, 0);
	int gone = 0;
	for (int i = 0; i < 200 && !gone; i++) {
		char path[64], st[256] = "";
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)child);
		int fd = open(path, O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, st, sizeof(st) - 1) : -1;
		if (fd >= 0)
			close(fd);
		/* gone, or a zombie waiting for init */
		if (n <= 0 || strstr(st, ") Z ") != NULL)
			gone = 1;
		else
			usleep(10000);
	}
	if (!gone)
		kill(child, SIGKILL);
	CHECK(gone);
	close(report[0]);
	close(p[1]);
}

/* ---- argument rules (syscall-if) ---- */

/* What a worker's policy says about fcntl, mmap, setsockopt, newfstatat. */
static const char arg_rules[] =
    "syscall-if fcntl arg1==F_GETFL : t\n"
    "syscall-if fcntl arg0>=5 arg1==F_SETFL "
    "arg2&~O_NONBLOCK|O_ACCMODE|O_LARGEFILE==0 : t\n"
    "syscall-if mmap arg2&PROT_EXEC==0 : t\n"
    "syscall-if setsockopt arg1==IPPROTO_TCP arg2==TCP_NODELAY : t\n"
    "syscall-if newfstatat arg3&AT_EMPTY_PATH==AT_EMPTY_PATH : t\n"
    "syscall-cwd newfstatat : t\n";

#define ARG_SOCK 7      /* a socket channel, as a worker holds one */
#define ARG_TCP 8       /* a TCP socket (TCP_NODELAY) */
#define ARG_PIPE 4      /* the stats fd position */
#define ARG_FIVE 5      /* the lowest fd F_SETFL may touch */
#define ARG_HIGH 1000   /* far up the arg0>=5 blocks */

static int
call_setown(void)
{
	return fcntl(ARG_SOCK, F_SETOWN, getppid());
}

static int
call_setsig(void)
{
	return fcntl(ARG_SOCK, F_SETSIG, SIGKILL);
}

static int
call_async(void)
{
	return fcntl(ARG_SOCK, F_SETFL, O_RDWR | O_ASYNC | O_NONBLOCK);
}

static int
call_nonblock(void)
{
	return fcntl(ARG_SOCK, F_SETFL, O_RDWR | O_NONBLOCK);
}

static int
call_nonblock_five(void)
{
	return fcntl(ARG_FIVE, F_SETFL, O_RDWR | O_NONBLOCK);
}

static int
call_nonblock_high(void)
{
	return fcntl(ARG_HIGH, F_SETFL, O_RDWR | O_NONBLOCK);
}

static int
call_nonblock_pipe(void)
{
	return fcntl(ARG_PIPE, F_SETFL, O_WRONLY | O_NONBLOCK);
}

/* fd 4 with a bit above the 32 the kernel reads: must not pass for fd >= 5 */
static int
call_nonblock_pipe_high_bits(void)
{
	return (int)syscall(SYS_fcntl, 0x100000000UL | ARG_PIPE, F_SETFL,
	    O_WRONLY | O_NONBLOCK);
}

static int
call_pipe_size(void)
{
	return fcntl(ARG_PIPE, F_SETPIPE_SZ, 4096);
}

static int
call_getfl(void)
{
	return fcntl(ARG_SOCK, F_GETFL);
}

static int
call_mmap_rw(void)
{
	return mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0) == MAP_FAILED ? -1 : 0;
}

static int
call_mmap_exec(void)
{
	return mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0) == MAP_FAILED ? -1 : 0;
}

static int
call_nodelay(void)
{
	int one = 1;
	return setsockopt(ARG_TCP, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int
call_attach_filter(void)
{
	struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = code };
	return setsockopt(ARG_SOCK, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog));
}

static int
call_fstat(void)
{
	struct stat st;
	return fstat(ARG_SOCK, &st);
}

static int
call_stat_path(void)
{
	struct stat st;
	return stat("/", &st);
}

static int
call_fstatat_dirfd(void)
{
	struct stat st;
	return fstatat(ARG_SOCK, "x", &st, 0);
}

static const struct {
	const char *what;
	int (*call)(void);
	bool allowed;
} arg_cases[] = {
	{ "fcntl F_GETFL", call_getfl, true },
	{ "fcntl F_SETFL O_NONBLOCK on fd 7", call_nonblock, true },
	{ "fcntl F_SETFL O_NONBLOCK on fd 5", call_nonblock_five, true },
	{ "fcntl F_SETFL O_NONBLOCK on fd 1000", call_nonblock_high, true },
	{ "fcntl F_SETOWN", call_setown, false },
	{ "fcntl F_SETSIG", call_setsig, false },
	{ "fcntl F_SETFL O_ASYNC", call_async, false },
	{ "fcntl F_SETFL on the stats fd", call_nonblock_pipe, false },
	{ "fcntl F_SETFL on fd 4 | 1 << 32", call_nonblock_pipe_high_bits, false },
	{ "fcntl F_SETPIPE_SZ", call_pipe_size, false },
	{ "mmap PROT_READ|PROT_WRITE", call_mmap_rw, true },
	{ "mmap PROT_EXEC", call_mmap_exec, false },
	{ "setsockopt TCP_NODELAY", call_nodelay, true },
	{ "setsockopt SO_ATTACH_FILTER", call_attach_filter, false },
	{ "fstat (newfstatat AT_EMPTY_PATH)", call_fstat, true },
	{ "stat by path (AT_FDCWD)", call_stat_path, true },
	{ "newfstatat(fd, \"x\", 0)", call_fstatat_dirfd, false },
};

/* Each case in a child holding a socket at 7, a TCP socket at 8, a pipe at
 * 4: allowed means the call came back (whatever it returned), refused
 * means seccomp killed the child. */
static void
test_argument_rules(void)
{
	make_policy_with(root, "kill", arg_rules);
	for (size_t i = 0; i < sizeof(arg_cases) / sizeof(arg_cases[0]); i++) {
		pid_t pid = fork();
		if (pid == 0) {
			int sv[2], pp[2];
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(pp) < 0 ||
			    dup2(pp[1], ARG_PIPE) < 0 || dup2(sv[0], ARG_SOCK) < 0 ||
			    dup2(socket(AF_INET, SOCK_STREAM, 0), ARG_TCP) < 0 ||
			    dup2(sv[1], ARG_FIVE) < 0 || dup2(sv[1], ARG_HIGH) < 0)
				_exit(9);
			int keep[] = { ARG_PIPE, ARG_SOCK, ARG_TCP, ARG_FIVE, ARG_HIGH };
			sandbox_confine(&pol.spec, keep, 5);
			(void)arg_cases[i].call();
			_exit(0);
		}
		int st = wait_status(pid);
		bool refused = WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
		bool returned = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (arg_cases[i].allowed ? !returned : !refused) {
			fprintf(stderr, "  case '%s': status 0x%x, want %s\n",
			    arg_cases[i].what, st,
			    arg_cases[i].allowed ? "allowed" : "SIGSYS");
			CHECK(!"argument rule");
		}
	}
}

/* The kernel's own kill: without an fcntl filter a confined process could
 * aim SIGKILL at a process of its uid; with the rules it dies first. */
static void
test_fcntl_cannot_signal_a_sibling(void)
{
	make_policy_with(root, "kill", arg_rules);
	pid_t sibling = fork();
	if (sibling == 0) {
		if (setresuid(65534, 65534, 65534) < 0)
			_exit(9);
		for (int i = 0; i < 100; i++)
			pause();
		_exit(0);
	}
	pid_t pid = fork();
	if (pid == 0) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
		    dup2(sv[0], ARG_SOCK) < 0 || dup2(sv[1], ARG_SOCK + 1) < 0)
			_exit(9);
		int keep[] = { ARG_SOCK, ARG_SOCK + 1 };
		sandbox_confine(&pol.spec, keep, 2);
		(void)fcntl(ARG_SOCK, F_SETOWN, sibling);
		(void)fcntl(ARG_SOCK, F_SETSIG, SIGKILL);
		(void)fcntl(ARG_SOCK, F_SETFL, O_RDWR | O_ASYNC);
		ssize_t w = write(ARG_SOCK + 1, "x", 1);
		_exit(w == 1 ? 0 : 8);
	}
	int st = wait_status(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	usleep(100 * 1000);
	int sst;
	CHECK_EQ(waitpid(sibling, &sst, WNOHANG), 0);   /* still running */
	kill(sibling, SIGKILL);
	waitpid(sibling, NULL, 0);
}

/* A directory fd in the keep list is fatal before input is read. */
static void
open_a_directory_to_keep(void)
{
	kept_dir = open("/", O_RDONLY | O_DIRECTORY);
}

/* Landlock would hold only the calling thread: a second one is fatal. */
static void *
sleep_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void
start_a_thread(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, sleep_forever, NULL) != 0)
		_exit(9);
}

/* A root that only gets read may be the uid's own (cloisterctl import's
 * Maildir reader), never another uid's, never with a tree to change. */
static void
test_root_owned_by_the_uid(void)
{
	CHECK_EQ(chown(root, 2000000123u, 0), 0);
	make_policy(root, "kill");
	pol.spec.instance_uid = pol.spec.instance_gid = 2000000123u;
	expect_fatal("a root of the uid's, not asked for", NULL);
	pol.spec.root_owned_by_uid = true;
	int st = confined_child_runs('q');
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	pol.spec.tree = SANDBOX_TREE_OWN;
	expect_fatal("a root of the uid's with a tree to change", NULL);
	pol.spec.tree = SANDBOX_TREE_NONE;
	pol.spec.instance_uid = 2000000124u;
	expect_fatal("a root of another uid's", NULL);
	CHECK_EQ(chown(root, 0, 0), 0);
}

static void
become_nobody(void)
{
	if (setresuid(65534, 65534, 65534) < 0)
		_exit(9);
}

int
main(void)
{
	if (geteuid() != 0) {
		printf("test_sandbox: needs root, skipped\n");
		return 77;
	}
	log_open("test_sandbox", true);
	if (mkdtemp(root) == NULL || chmod(root, 0755) < 0) {
		perror("mkdtemp");
		return 1;
	}
	test_confined_state();
	test_sort_after_confinement();
	test_instance_ids();
	test_debug_mode();
	test_pdeathsig_survives();
	test_root_owned_by_the_uid();

	test_argument_rules();
	test_fcntl_cannot_signal_a_sibling();
	make_policy(root, "kill");
	expect_fatal("a directory fd in the keep list", open_a_directory_to_keep);
	expect_fatal("a second thread", start_a_thread);

	make_policy("/nonexistent-cloister-root", "kill");
	expect_fatal("missing root dir", NULL);
	chmod(root, 0777);
	make_policy(root, "kill");
	expect_fatal("world-writable root dir", NULL);
	chmod(root, 0755);
	make_policy(root, "kill");
	expect_fatal("not started as root", become_nobody);
	rmdir(root);
	return check_done("test_sandbox");
}
