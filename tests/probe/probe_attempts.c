/*
 * probe_attempts: one function per escape. Each runs in a confined child
 * and returns 1 if the escape worked, 0 if it was refused; a child killed
 * by SIGSYS (seccomp kill-process) was refused too. The parent then checks
 * that the sibling of the same uid is still alive and running: an attempt
 * that signalled it (by whatever path) counts as ALLOWED.
 */
#include "probe_attempts.h"
#include "probe_layers.h"
#include "probe_net.h"
#include "fds.h"
#include "ipc.h"
#include "ipc_types.h"
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_REFUSED 0
#define CHILD_ALLOWED 3

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif

typedef int (*attempt_fn)(struct probe_ctx *);

/* attempt flags */
#define A_KEEP_DIRFD 1u    /* the child asks to keep root_dirfd */
#define A_RECV_DIRFD 2u    /* root_dirfd arrives after confinement */
#define A_SEGV_REFUSED 4u  /* SIGSEGV = the kernel has no such entry */
#define A_PIPE 8u          /* acts on the shared pipe */
#define A_SIGNAL 16u       /* aims at the sibling: give a signal time */
#define A_LAYER2 32u       /* the second layer refuses it on its own */

/* ---- files, sockets, exec ---- */

static int
try_open_passwd(struct probe_ctx *c)
{
	(void)c;
	return open("/etc/passwd", O_RDONLY) >= 0;
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
try_memfd_execveat(struct probe_ctx *c)
{
	(void)c;
	int fd = (int)syscall(SYS_memfd_create, "x", 0);
	char *argv[] = { "x", NULL };
	char *envp[] = { NULL };
	long r = syscall(SYS_execveat, fd < 0 ? 0 : fd, "", argv, envp,
	    AT_EMPTY_PATH);
	/* an empty memfd cannot run: ENOEXEC means the kernel tried */
	return r == 0 || errno == ENOEXEC;
}

/* ---- other processes ---- */

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
try_pidfd_signal(struct probe_ctx *c)
{
	int pfd = (int)syscall(SYS_pidfd_open, c->sibling, 0);
	if (pfd < 0)
		return 0;
	return syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) == 0;
}

static volatile char sibling_secret[16] = "probe-secret";

static int
try_process_vm(struct probe_ctx *c)
{
	char got[16];
	struct iovec local = { got, sizeof(got) };
	struct iovec remote = { (void *)sibling_secret, sizeof(got) };
	if (process_vm_readv(c->sibling, &local, 1, &remote, 1, 0) > 0)
		return 1;
	return process_vm_writev(c->sibling, &local, 1, &remote, 1, 0) > 0;
}

/* A byte arrives on the socket whose owner the attempt set: the kernel
 * then signals the owner. With a peer end at hand, write into it; on a
 * real channel, ask the peer for a reply (a PING) and wait for it. */
static void
make_a_byte_arrive(struct probe_ctx *c)
{
	if (c->sock_peer >= 0) {
		ssize_t w = write(c->sock_peer, "x", 1);
		(void)w;
		return;
	}
	if (ipc_send_raw(c->sock, IPC_PING, 1, 0, NULL, 0, -1) < 0)
		return;
	struct pollfd p = { .fd = c->sock, .events = POLLIN };
	(void)poll(&p, 1, 2000);
}

/* The kernel's own kill(): F_SETOWN + F_SETSIG + O_ASYNC. Every step is
 * tried even if one fails: O_ASYNC alone still sends SIGIO, whose default
 * action ends the owner. The parent's check of the sibling decides. */
static int
try_fcntl_signal(struct probe_ctx *c)
{
	int own = fcntl(c->sock, F_SETOWN, c->sibling);
	(void)fcntl(c->sock, F_SETSIG, SIGKILL);
	int fl = fcntl(c->sock, F_GETFL);
	int async = fcntl(c->sock, F_SETFL, (fl < 0 ? O_RDWR : fl) | O_ASYNC);
	make_a_byte_arrive(c);
	return own == 0 && async == 0;
}

static int
try_fcntl_owner_ex(struct probe_ctx *c)
{
	struct f_owner_ex o = { .type = F_OWNER_PID, .pid = c->sibling };
	return fcntl(c->sock, F_SETOWN_EX, &o) == 0;
}

/* The same signal path through ioctl: FIOSETOWN + FIOASYNC. */
static int
try_ioctl_async(struct probe_ctx *c)
{
	int on = 1;
	pid_t owner = c->sibling;
	int own = ioctl(c->sock, FIOSETOWN, &owner);
	int async = ioctl(c->sock, FIOASYNC, &on);
	make_a_byte_arrive(c);
	return own == 0 && async == 0;
}

/* F_SETOWN fails with ESRCH for a pid that does not exist: an oracle. */
static int
try_setown_oracle(struct probe_ctx *c)
{
	errno = 0;
	int r = fcntl(c->sock, F_SETOWN, 0x3ffffff0);
	return r == 0 || errno == ESRCH;
}

/* ---- the shared pipe (log, stats) ---- */

static int
try_pipe_size(struct probe_ctx *c)
{
	return fcntl(c->pipe_fd, F_SETPIPE_SZ, 4096) >= 0;
}

static int
try_pipe_nonblock(struct probe_ctx *c)
{
	return fcntl(c->pipe_fd, F_SETFL, O_WRONLY | O_NONBLOCK) == 0;
}

static int
try_pipe_async(struct probe_ctx *c)
{
	return fcntl(c->pipe_fd, F_SETFL, O_WRONLY | O_ASYNC) == 0;
}

static int
try_lease_notify(struct probe_ctx *c)
{
	return fcntl(c->sock, F_SETLEASE, F_RDLCK) == 0 ||
	    fcntl(c->sock, F_NOTIFY, DN_ACCESS) == 0 ||
	    fcntl(c->sock, F_DUPFD, 100) >= 0;
}

/* ---- the filesystem outside the root ---- */

static int
try_escape_dirfd(struct probe_ctx *c)
{
	if (openat(c->root_dirfd, "etc/passwd", O_RDONLY) >= 0)
		return 1;
	return fchdir(c->root_dirfd) == 0;
}

static int
try_getdents_dirfd(struct probe_ctx *c)
{
	char buf[4096];
	return syscall(SYS_getdents64, c->root_dirfd, buf, sizeof(buf)) > 0;
}

static int
try_fstatat_dirfd(struct probe_ctx *c)
{
	struct stat st;
	return fstatat(c->root_dirfd, "etc", &st, 0) == 0;
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
try_proc1_mem(struct probe_ctx *c)
{
	(void)c;
	int fd = open("/proc/1/mem", O_RDONLY);
	if (fd < 0)
		return 0;
	char b;
	return pread(fd, &b, 1, 0x400000) >= 0;
}

/* ---- privileges and namespaces ---- */

static int
try_setuid0(struct probe_ctx *c)
{
	(void)c;
	/* raw syscall: glibc's setuid() would also signal other threads */
	return syscall(SYS_setuid, 0) == 0;
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
	return unshare(CLONE_NEWUSER) == 0 || unshare(CLONE_NEWNS) == 0 ||
	    unshare(CLONE_NEWNET) == 0;
}

static int
try_clone3_userns(struct probe_ctx *c)
{
	(void)c;
	struct clone_args a;
	memset(&a, 0, sizeof(a));
	a.flags = CLONE_NEWUSER | CLONE_NEWNS;
	a.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &a, sizeof(a));
	if (pid == 0)
		_exit(0);
	return pid > 0;
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

/* ---- kernel attack surface ---- */

static int
try_io_uring(struct probe_ctx *c)
{
	(void)c;
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	return syscall(SYS_io_uring_setup, 1, &p) >= 0;
}

static int
try_userfaultfd(struct probe_ctx *c)
{
	(void)c;
	return syscall(SYS_userfaultfd, 0) >= 0;
}

/* Some policies allow futex, but only the private wake that ends glibc's
 * pthread_once: a wait (with a value that does not match, so it returns at
 * once where allowed) and a requeue must both be refused. */
static int
try_futex_beyond_wake(struct probe_ctx *c)
{
	(void)c;
	static uint32_t word = 1, other;
	long r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL,
	    NULL, 0);
	if (r == 0 || (r < 0 && errno == EAGAIN))
		return 1;
	r = syscall(SYS_futex, &word, FUTEX_REQUEUE_PRIVATE, 1,
	    (void *)1, &other, 0);
	return r >= 0;
}

static int
try_bpf(struct probe_ctx *c)
{
	(void)c;
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	return syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a)) >= 0;
}

static int
try_perf_event(struct probe_ctx *c)
{
	(void)c;
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.exclude_kernel = 1;
	return syscall(SYS_perf_event_open, &a, 0, -1, -1, 0) >= 0;
}

static int
try_keys(struct probe_ctx *c)
{
	(void)c;
	if (syscall(SYS_add_key, "user", "cloister-probe", "x", 1,
	    KEY_SPEC_PROCESS_KEYRING) >= 0)
		return 1;
	if (syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING,
	    0) >= 0)
		return 1;
	errno = 0;
	long r = syscall(SYS_request_key, "user", "cloister-probe", NULL, 0);
	return r >= 0 || errno == ENOKEY;   /* ENOKEY: the kernel looked */
}

static int
try_x32_abi(struct probe_ctx *c)
{
	(void)c;
	return syscall(__X32_SYSCALL_BIT | SYS_getpid) > 0;
}

static int
try_int80(struct probe_ctx *c)
{
	(void)c;
#if defined(__x86_64__)
	long r = 20;   /* i386 getpid */
	__asm__ volatile ("int $0x80" : "+a"(r) : : "memory");
	return r > 0;
#else
	return 0;
#endif
}

static int
try_mmap_exec(struct probe_ctx *c)
{
	(void)c;
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p != MAP_FAILED;
}

static int
try_mprotect_exec(struct probe_ctx *c)
{
	(void)c;
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* a page already mapped (the stack) if mmap itself is refused */
	char local[8192];
	void *page = p != MAP_FAILED ? p
	    : (void *)(((unsigned long)local + 4095) & ~4095UL);
	return mprotect(page, 4096, PROT_READ | PROT_EXEC) == 0;
}

static int
try_socket_filter(struct probe_ctx *c)
{
	struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = code };
	return setsockopt(c->sock, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog)) == 0;
}

static const struct {
	const char *name;
	attempt_fn fn;
	unsigned flags;
} attempts[] = {
	{ "open /etc/passwd", try_open_passwd, 0 },
	{ "create a file", try_create_file, 0 },
	{ "socket(AF_INET)", try_socket_inet, 0 },
	{ "connect to a unix socket path", try_connect_unix, 0 },
	{ "execve /bin/sh", try_execve, 0 },
	{ "memfd_create + execveat", try_memfd_execveat, 0 },
	{ "ptrace-attach a sibling", try_ptrace_sibling, A_SIGNAL },
	{ "kill() a sibling", try_kill_sibling, A_SIGNAL },
	{ "pidfd_open + pidfd_send_signal", try_pidfd_signal, A_SIGNAL },
	{ "process_vm_readv/writev a sibling", try_process_vm, 0 },
	{ "fcntl F_SETOWN+F_SETSIG+O_ASYNC", try_fcntl_signal, A_SIGNAL },
	{ "fcntl F_SETOWN_EX", try_fcntl_owner_ex, A_SIGNAL },
	{ "ioctl FIOSETOWN+FIOASYNC", try_ioctl_async, A_SIGNAL },
	{ "fcntl F_SETOWN as a pid oracle", try_setown_oracle, 0 },
	{ "fcntl F_SETLEASE/F_NOTIFY/F_DUPFD", try_lease_notify, 0 },
	{ "F_SETPIPE_SZ on a shared pipe", try_pipe_size, A_PIPE },
	{ "F_SETFL O_NONBLOCK on a shared pipe", try_pipe_nonblock, A_PIPE },
	{ "F_SETFL O_ASYNC on a shared pipe", try_pipe_async, A_PIPE },
	{ "setuid(0)", try_setuid0, 0 },
	{ "escape chroot via a kept directory fd", try_escape_dirfd,
	  A_KEEP_DIRFD },
	{ "getdents64 on a kept directory fd", try_getdents_dirfd,
	  A_KEEP_DIRFD },
	{ "newfstatat(dirfd, \"etc\") on a kept dir fd", try_fstatat_dirfd,
	  A_KEEP_DIRFD },
	{ "openat/fchdir via a received dir fd", try_escape_dirfd,
	  A_RECV_DIRFD },
	{ "newfstatat(dirfd, \"etc\") via a received fd", try_fstatat_dirfd,
	  A_RECV_DIRFD },
	{ "escape chroot via ..", try_escape_dotdot, 0 },
	{ "mount", try_mount, 0 },
	{ "unshare", try_unshare, 0 },
	{ "clone3 into a new user namespace", try_clone3_userns, 0 },
	{ "capset", try_capset, 0 },
	{ "read /proc/1/mem", try_proc1_mem, 0 },
	{ "io_uring_setup", try_io_uring, 0 },
	{ "userfaultfd", try_userfaultfd, 0 },
	{ "bpf", try_bpf, 0 },
	{ "futex wait or requeue", try_futex_beyond_wake, 0 },
	{ "perf_event_open", try_perf_event, 0 },
	{ "keyctl/add_key/request_key", try_keys, 0 },
	{ "x32 ABI syscall", try_x32_abi, 0 },
	{ "i386 int 0x80 syscall", try_int80, A_SEGV_REFUSED },
	{ "mmap PROT_EXEC", try_mmap_exec, 0 },
	{ "mprotect to PROT_EXEC", try_mprotect_exec, 0 },
	{ "setsockopt SO_ATTACH_FILTER", try_socket_filter, 0 },
	{ "kill() a process outside the domain", probe_try_kill_outside,
	  A_SIGNAL | A_LAYER2 },
	{ "open a file in its own root", probe_try_root_file, A_LAYER2 },
	{ "TCP connect to the host's 127.0.0.1", probe_try_tcp_host,
	  A_LAYER2 },
	{ "connect to an abstract unix socket", probe_try_abstract_unix,
	  A_LAYER2 },
	/* shaped like pushd's TCP clients (probe_net.h) */
	{ "socket(AF_UNIX) of a TCP client's flags", probe_try_unix_socket, 0 },
	{ "socket(AF_INET, SOCK_DGRAM)", probe_try_udp_socket, 0 },
	{ "socket(AF_NETLINK)", probe_try_netlink_socket, 0 },
	{ "bind a TCP client socket", probe_try_tcp_bind, 0 },
	{ "listen on a TCP client socket", probe_try_tcp_listen, 0 },
	{ "TCP client connect to a port not allowed", probe_try_tcp_other_port,
	  A_LAYER2 },
	{ "TCP Fast Open sendto a port not allowed", probe_try_tcp_fastopen, 0 },
};

size_t
probe_attempt_count(void)
{
	return sizeof(attempts) / sizeof(attempts[0]);
}

const char *
probe_attempt_name(size_t i)
{
	return attempts[i].name;
}

bool
probe_attempt_second_layer(size_t i)
{
	return (attempts[i].flags & A_LAYER2) != 0;
}

bool
probe_attempt_uses_pipe(size_t i)
{
	return (attempts[i].flags & A_PIPE) != 0;
}

int
probe_unix_listener(char *dir, size_t dirsize, char *sock, size_t socksize)
{
	if (snprintf(dir, dirsize, "/tmp/cloister-probe-XXXXXX") >= (int)dirsize ||
	    mkdtemp(dir) == NULL ||
	    snprintf(sock, socksize, "%s/sock", dir) >= (int)socksize)
		return -1;
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(sock, 0666) < 0 || chmod(dir, 0755) < 0 || listen(ls, 8) < 0) {
		if (ls >= 0)
			close(ls);
		return -1;
	}
	return ls;
}

/* One byte with room for one SCM_RIGHTS fd. */
struct fd_msg {
	char byte;
	_Alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov;
	struct msghdr mh;
};

static struct msghdr *
fd_msg_init(struct fd_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->iov.iov_base = &m->byte;
	m->iov.iov_len = 1;
	m->mh.msg_iov = &m->iov;
	m->mh.msg_iovlen = 1;
	m->mh.msg_control = m->cbuf;
	m->mh.msg_controllen = sizeof(m->cbuf);
	return &m->mh;
}

/* Take the directory fd the parent sent after confinement. */
static int
receive_dirfd(int chan)
{
	struct fd_msg m;
	struct msghdr *mh = fd_msg_init(&m);
	if (recvmsg(chan, mh, 0) != 1)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(mh);
	if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

static int
send_dirfd(int chan, int fd)
{
	struct fd_msg m;
	struct msghdr *mh = fd_msg_init(&m);
	struct cmsghdr *cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	return sendmsg(chan, mh, 0) == 1 ? 0 : -1;
}

/* Alive and not stopped: the state letter of /proc/PID/stat. */
bool
probe_running(pid_t pid)
{
	char path[64], text[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	const char *p = strrchr(text, ')');
	return p != NULL && p[1] == ' ' && strchr("RSD", p[2]) != NULL;
}

static bool
sibling_survived(pid_t sibling, bool wait)
{
	/* a signal is delivered asynchronously: give it 200 ms to land */
	for (int i = 0; i < (wait ? 20 : 1); i++) {
		if (!probe_running(sibling))
			return false;
		usleep(10000);
	}
	return true;
}

enum probe_result
probe_run_attempt(struct probe_ctx *c, size_t i)
{
	int chan[2] = { -1, -1 };
	unsigned flags = attempts[i].flags;
	if ((flags & A_RECV_DIRFD) &&
	    (socketpair(AF_UNIX, SOCK_STREAM, 0, chan) < 0 ||
	    send_dirfd(chan[1], c->root_dirfd) < 0)) {
		perror("cloister-probe: directory fd channel");
		return PROBE_ERROR;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("cloister-probe: fork");
		return PROBE_ERROR;
	}
	if (pid == 0) {
		int keep[PROBE_MAX_KEEP + 2];
		size_t n = 0;
		for (size_t k = 0; k < c->nkeep; k++)
			keep[n++] = c->keep[k];
		if (flags & A_KEEP_DIRFD)
			keep[n++] = c->root_dirfd;
		if (flags & A_RECV_DIRFD)
			keep[n++] = chan[0];
		probe_confine_child(c, keep, n);
		if (flags & A_RECV_DIRFD)
			c->root_dirfd = receive_dirfd(chan[0]);
		_exit(attempts[i].fn(c) ? CHILD_ALLOWED : CHILD_REFUSED);
	}
	if (chan[0] >= 0) {
		close(chan[0]);
		close(chan[1]);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return PROBE_ERROR;
	if (c->sibling > 0 &&
	    !sibling_survived(c->sibling, (flags & A_SIGNAL) != 0)) {
		fprintf(stderr, "cloister-probe: '%s' stopped or killed the"
		    " sibling %d\n", attempts[i].name, (int)c->sibling);
		return PROBE_ALLOWED;
	}
	/* with the filter weakened, the refusal must be the second layer's:
	 * a SIGSYS means the attempt never reached it */
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS && !c->weak_filter)
		return PROBE_REFUSED;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV &&
	    (flags & A_SEGV_REFUSED))
		return PROBE_REFUSED;
	/* the sandbox refused to confine while holding a directory fd */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 1 && (flags & A_KEEP_DIRFD))
		return PROBE_REFUSED;
	if (WIFEXITED(st) && WEXITSTATUS(st) == CHILD_REFUSED)
		return PROBE_REFUSED;
	if (WIFEXITED(st) && WEXITSTATUS(st) == CHILD_ALLOWED)
		return PROBE_ALLOWED;
	fprintf(stderr, "cloister-probe: attempt '%s' ended oddly (status 0x%x);"
	    " confinement failed?\n", attempts[i].name, st);
	return PROBE_ERROR;
}

pid_t
probe_spawn_sibling(const char *user, const char *group)
{
	struct passwd *pw = getpwnam(user);
	struct group *gr = getgrnam(group);
	if (pw == NULL || gr == NULL)
		return -1;
	uid_t uid = pw->pw_uid;
	gid_t gid = gr->gr_gid;
	int ready[2];
	if (pipe(ready) < 0)
		return -1;
	pid_t pid = fork();
	if (pid != 0) {
		/* return once it runs as the user, or an attempt could meet a
		 * sibling that is still root */
		char b = 0;
		close(ready[1]);
		ssize_t n = pid > 0 ? read(ready[0], &b, 1) : -1;
		close(ready[0]);
		if (pid > 0 && n != 1) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return -1;
		}
		return pid;
	}
	close(ready[0]);
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		_exit(4);
	if (write(ready[1], "r", 1) != 1)
		_exit(4);
	close(ready[1]);
	for (int i = 0; i < 600; i++)
		pause();
	_exit(0);
}
