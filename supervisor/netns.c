/* netns: the one empty network namespace every worker joins (sandbox/
 * netns.c), made once at start and kept for cloisterd's life: a reload
 * keeps it. A child makes it (cloisterd itself never leaves the host's
 * namespace, where it binds), we open it through /proc, and the child
 * goes. Nothing here reads anything but our own child's one status byte. */
#include "sv.h"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>

/* The child: unshare, say whether it worked, and wait to be killed. */
static void __attribute__((noreturn))
holder(int status_w, pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(126);
	char ok = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
	char err = (char)errno;   /* the unshare's errno, for our log */
	char msg[2] = { ok, err };
	if (write(status_w, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		_exit(126);
	for (;;)
		pause();
}

void
sv_netns_init(void)
{
	int p[2];
	sv.netns = -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		log_warn("netns: pipe: %m; workers make their own");
		return;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		holder(p[1], parent);
	}
	close(p[1]);
	char msg[2] = { 0, 0 };
	ssize_t n = pid > 0 ? read(p[0], msg, sizeof(msg)) : -1;
	close(p[0]);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (n == (ssize_t)sizeof(msg) && msg[0] == 'y')
		sv.netns = open(path, O_RDONLY | O_CLOEXEC);
	int err = errno;
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (sv.netns >= 0)
		return;
	/* no CONFIG_NET_NS, a container that refuses, or no /proc: each
	 * worker tries unshare itself and says what it got */
	if (n == (ssize_t)sizeof(msg) && msg[0] == 'n')
		err = (unsigned char)msg[1];
	log_warn("netns: no shared empty network namespace (%s); workers"
	    " make their own", pid < 0 ? "fork failed" : strerror(err));
}
