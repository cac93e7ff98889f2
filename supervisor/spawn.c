/* spawn: fork + exec one worker with its fds at the numbers of fds.h. The
 * worker confines itself; nothing here drops a privilege on its behalf. */
#include "sv.h"
#include "log.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

/* fds[n]: what goes to fd n (-1: nothing); the log fd and a new control
 * channel are added here. Returns the pid, with our end of the control
 * channel (non-blocking) in *ctl; -1 on failure. */
pid_t
sv_spawn(struct sv_service *s, uint64_t instance, int shard, int fds[SV_NFDS],
    int *ctl)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return -1;
	fds[CLOISTER_FD_LOG] = sv.log_fd;
	fds[CLOISTER_FD_CONTROL] = pair[1];
	char inst[24], sh[12];
	snprintf(inst, sizeof(inst), "%llu", (unsigned long long)instance);
	snprintf(sh, sizeof(sh), "%d", shard);
	char *argv[12];
	int n = 0;
	argv[n++] = s->cfg.binary;
	argv[n++] = "--config";
	argv[n++] = sv.snapshot;
	argv[n++] = "--service";
	argv[n++] = s->cfg.name;
	argv[n++] = "--instance";
	argv[n++] = inst;
	if (shard >= 0) {
		argv[n++] = "--shard";
		argv[n++] = sh;
	}
	if (sv.foreground)
		argv[n++] = "--foreground";
	argv[n] = NULL;

	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid != 0) {
		close(pair[1]);
		if (pid < 0)
			close(pair[0]);
		else
			fcntl(*ctl = pair[0], F_SETFL, O_NONBLOCK);
		return pid;
	}
	/* child: die with the supervisor (the kernel clears this again when
	 * the worker changes uid; the control channel's EOF covers that) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(126);
	setpriority(PRIO_PROCESS, 0, 0);   /* our priority is not the worker's */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* move every source above the target range first, so that a source
	 * already sitting on some target number is not overwritten */
	int tmp[SV_NFDS];
	for (size_t i = 0; i < SV_NFDS; i++)
		if ((tmp[i] = fds[i] >= 0 ?
		    fcntl(fds[i], F_DUPFD_CLOEXEC, SV_NFDS) : -2) == -1)
			log_fatal_errno("spawn %s: fd %zu", argv[0], i);
	/* stderr: the terminal or pipe we were given in the foreground, but
	 * never a regular file (see the log relay in main.c) */
	if (dup2(sv.devnull, 0) < 0 || dup2(sv.devnull, 1) < 0 ||
	    (!sv.foreground && dup2(sv.devnull, 2) < 0) ||
	    (sv.foreground && sv.log_relay && dup2(sv.log_fd, 2) < 0))
		log_fatal_errno("spawn %s: stdio", argv[0]);
	for (int i = 3; i < SV_NFDS; i++)   /* dup2 clears CLOEXEC */
		if (tmp[i] >= 0 && dup2(tmp[i], i) < 0)
			log_fatal_errno("spawn %s: fd %d", argv[0], i);
	execv(argv[0], argv);
	log_err("exec %s: %m", argv[0]);
	_exit(127);
}
