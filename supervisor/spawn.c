/* spawn: fork + exec one worker with its fds at the numbers of fds.h (this
 * file is where each role's fds are chosen). The worker confines itself;
 * nothing here drops a privilege on its behalf. */
#include "sv.h"

#include <sys/prctl.h>
#include <sys/resource.h>

/* fork, and exec argv with fds[n] at fd n (-1: nothing); the pid, or -1. */
static pid_t
child(char **argv, const int fds[SV_NFDS])
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid != 0)
		return pid;
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
	if (dup2(sv.devnull, 0) < 0 || dup2(sv.devnull, 1) < 0)
		log_fatal_errno("spawn %s: stdio", argv[0]);
	for (int i = 2; i < SV_NFDS; i++)   /* dup2 clears CLOEXEC */
		if (tmp[i] >= 0 && dup2(tmp[i], i) < 0)
			log_fatal_errno("spawn %s: fd %d", argv[0], i);
	execv(argv[0], argv);
	log_err("exec %s: %m", argv[0]);
	_exit(127);
}

/* A new process of s for slot, or, for a pool, the worker of pending
 * record rec (NULL: a spare). Each gets a control channel and its stats
 * pipe; a connection worker one channel per store shard, and one to authd
 * with 'set auth yes', whose peer ends go to stored/authd as CTL_PEER
 * before the worker can say anything; the stats helper the aggregate pipe
 * and its listeners. NULL (logged) on failure. */
struct sv_proc *
sv_spawn(struct sv_service *s, unsigned slot, struct sv_proc *rec)
{
	struct sv_service *store = s->cfg.role == ROLE_CONNECTION ?
	    sv_role(ROLE_STORE) : NULL;
	struct sv_service *auth = s->auth ? sv_role(ROLE_AUTH) : NULL;
	int pairs[2 + CLOISTER_MAX_SHARDS][2];   /* control, auth, shards */
	size_t np = 2 + (store != NULL ? store->nslots : 0);
	int fds[SV_NFDS], logw = -1, statw = -1, statr = -1;
	memset(fds, 0xff, sizeof(fds));       /* all -1 */
	memset(pairs, 0xff, sizeof(pairs));
	/* its own log channel, at fd 2 as well (logchan.c) */
	int logr = sv_log_open(&logw);
	if (logr < 0 || (statr = sv_stats_open(&statw)) < 0)
		goto fail;
	for (size_t i = 0; i < np; i++) {
		if ((i != 1 || auth != NULL) && socketpair(AF_UNIX,
		    SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pairs[i]) < 0)
			goto fail;
		fds[i == 0 ? CLOISTER_FD_CONTROL : i == 1 ? CLOISTER_FD_AUTH :
		    CLOISTER_FD_STORE(i - 2)] = pairs[i][1];
	}
	fds[2] = fds[CLOISTER_FD_LOG] = logw;
	fds[CLOISTER_FD_STATS] = statw;   /* its own: records name no sender */
	if (s->cfg.role == ROLE_STATS) {
		fds[CLOISTER_FD_EXTRA] = sv.agg[0];
		for (size_t i = 0; i < s->nlst; i++)
			fds[CLOISTER_FD_LISTEN(i)] = s->lst[i].fd;
	}
	uint64_t instance = sv.next_instance++;
	char inst[24], sh[12];
	snprintf(inst, sizeof(inst), "%llu", (unsigned long long)instance);
	snprintf(sh, sizeof(sh), "%u", slot);
	char *argv[12] = { s->cfg.binary, "--config", sv.snapshot, "--service",
	    s->cfg.name, "--instance", inst };
	int n = 7;
	if (s->cfg.role == ROLE_STORE) {
		argv[n++] = "--shard";
		argv[n++] = sh;
	}
	if (sv.foreground)
		argv[n++] = "--foreground";
	pid_t pid = child(argv, fds);
	if (pid < 0)
		goto fail;
	for (size_t i = 0; i < np; i++)   /* the worker's ends: it has them */
		if (pairs[i][1] >= 0)
			close(pairs[i][1]);
	close(logw);
	close(statw);
	fcntl(pairs[0][0], F_SETFL, O_NONBLOCK);
	for (unsigned i = 0; store != NULL && i < store->nslots; i++)
		sv_wire_peer(store, i, s->cfg.name, instance, pairs[2 + i][0]);
	if (auth != NULL)
		sv_wire_peer(auth, 0, s->cfg.name, instance, pairs[1][0]);
	struct sv_proc *p = sv_proc_new(s, rec, pid, instance, slot, pairs[0][0]);
	sv_log_attach(p, logr);
	sv_stats_attach(p, statr);
	return p;
fail:
	log_err("%s: spawn: %m", s->cfg.name);
	const int own[] = { logr, logw, statr, statw };
	for (size_t k = 0; k < sizeof(own) / sizeof(own[0]); k++)
		if (own[k] >= 0)
			close(own[k]);
	for (int *f = &pairs[0][0]; f < &pairs[0][0] + 2 * np; f++)
		if (*f >= 0)
			close(*f);
	return NULL;
}
