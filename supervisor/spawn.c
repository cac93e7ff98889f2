/* spawn: fork + exec one worker with its fds at the numbers of fds.h (this
 * file is where each role's fds are chosen), its own uid and gid on its
 * argv, in a session of its own and with a fixed environment. The worker
 * confines itself; nothing here drops a privilege on its behalf. */
#include "sv.h"
#include "ipc.h"
#include "sandbox.h"

#include <sys/prctl.h>
#include <sys/resource.h>

/* What a worker's environment holds, whatever cloisterd was started with:
 * nothing of the caller's (a variable a library reads — locale, malloc or
 * resolver settings, proxies — is input the worker did not choose). In a
 * sanitizer build the sanitizers' own settings pass (the tests rely on
 * them). */
static char *const *
worker_env(void)
{
	static char *env[8];
	static const char *const sanitizer_vars[] = { "ASAN_OPTIONS",
		"UBSAN_OPTIONS", "LSAN_OPTIONS" };
	if (env[0] != NULL)
		return env;
	size_t n = 0;
	env[n++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	env[n++] = "LANG=C";
	for (size_t i = 0; sandbox_sanitized_build() &&
	    i < sizeof(sanitizer_vars) / sizeof(sanitizer_vars[0]); i++) {
		const char *v = getenv(sanitizer_vars[i]);
		size_t len = strlen(sanitizer_vars[i]) + 2 + (v ? strlen(v) : 0);
		char *kv = v != NULL ? malloc(len) : NULL;
		if (kv != NULL) {
			snprintf(kv, len, "%s=%s", sanitizer_vars[i], v);
			env[n++] = kv;
		}
	}
	env[n] = NULL;
	return env;
}

/* fork, and exec argv with fds[n] at fd n (-1: nothing); the pid, or -1. */
static pid_t
child(char **argv, const int fds[SV_NFDS])
{
	char *const *env = worker_env();   /* built before fork: no malloc after */
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* child: die with the supervisor (the kernel clears this again when
	 * the worker changes uid; the control channel's EOF covers that) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(126);
	/* a session and process group of its own: no signal sent to ours (a
	 * terminal's ^C, kill -- -PGID) or to a sibling's group reaches it */
	if (setsid() < 0)
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
	execve(argv[0], argv, env);
	log_err("exec %s: %m", argv[0]);
	_exit(127);
}

/* A new process of s for slot, or, for a pool, the worker of pending
 * record rec (NULL: a spare). Each gets a control channel and its log
 * channel (which carries its stats records too); a connection worker one
 * channel per store shard, one to authd with 'set auth yes' and one to
 * keyd with 'set keyd yes', whose peer ends go to stored/authd/keyd as
 * CTL_PEER before the worker can say anything; the stats helper the
 * aggregate pipe and its listeners. NULL (logged) on failure. */
struct sv_proc *
sv_spawn(struct sv_service *s, unsigned slot, struct sv_proc *rec)
{
	struct sv_service *store = s->cfg.role == ROLE_CONNECTION ||
	    s->cfg.role == ROLE_SUBMIT || s->cfg.role == ROLE_PUSH ?
	    sv_role(ROLE_STORE) : NULL;
	struct sv_service *auth = s->auth ? sv_role(ROLE_AUTH) : NULL;
	struct sv_service *keyd = s->keyd ? sv_role(ROLE_KEY) : NULL;
	/* control, auth, keyd, shards */
	int pairs[3 + CLOISTER_MAX_SHARDS][2];
	size_t np = 3 + (store != NULL ? store->nslots : 0);
	int fds[SV_NFDS], logw = -1;
	memset(fds, 0xff, sizeof(fds));       /* all -1 */
	memset(pairs, 0xff, sizeof(pairs));
	/* its own log channel, at fd 2 and the stats fd as well (logchan.c) */
	int logr = sv_log_open(&logw);
	if (logr < 0)
		goto fail;
	for (size_t i = 0; i < np; i++) {
		if ((i == 1 && auth == NULL) || (i == 2 && keyd == NULL))
			continue;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    pairs[i]) < 0)
			goto fail;
		fds[i == 0 ? CLOISTER_FD_CONTROL : i == 1 ? CLOISTER_FD_AUTH :
		    i == 2 ? CLOISTER_FD_KEYD : CLOISTER_FD_STORE(i - 3)] =
		    pairs[i][1];
	}
	/* its own: records name no sender, the channel does */
	fds[2] = fds[CLOISTER_FD_LOG] = fds[CLOISTER_FD_STATS] = logw;
	/* -1: none, it makes its own; pushd, with "network host", none */
	fds[CLOISTER_FD_NETNS] = s->cfg.role == ROLE_PUSH ? -1 : sv.netns;
	fds[CLOISTER_FD_SECCOMP] = s->filter;   /* -1: it compiles its own */
	if (s->cfg.role == ROLE_STATS) {
		fds[CLOISTER_FD_EXTRA] = sv.agg[0];
		for (size_t i = 0; i < s->nlst; i++)
			fds[CLOISTER_FD_LISTEN(i)] = s->lst[i].fd;
	}
	uid_t uid = sv_ids_take();
	if (uid == 0) {
		log_err("%s: spawn: every id of worker-uids %u-%u is held by a live"
		    " worker", s->cfg.name, sv.cfg->uid_first, sv.cfg->uid_last);
		goto fail_quiet;
	}
	uint64_t instance = sv.next_instance++;
	char inst[24], sh[12], id[12];
	snprintf(inst, sizeof(inst), "%llu", (unsigned long long)instance);
	snprintf(sh, sizeof(sh), "%u", slot);
	snprintf(id, sizeof(id), "%u", (unsigned)uid);
	/* the gid is the same number: a group no one else has */
	char *argv[16] = { s->cfg.binary, "--config", sv.snapshot, "--service",
	    s->cfg.name, "--instance", inst, "--uid", id, "--gid", id };
	int n = 11;
	if (s->cfg.role == ROLE_STORE) {
		argv[n++] = "--shard";
		argv[n++] = sh;
	}
	if (sv.foreground)
		argv[n++] = "--foreground";
	pid_t pid = child(argv, fds);
	if (pid < 0) {
		sv_ids_give(uid);
		goto fail;
	}
	for (size_t i = 0; i < np; i++)   /* the worker's ends: it has them */
		if (pairs[i][1] >= 0)
			close(pairs[i][1]);
	close(logw);
	fcntl(pairs[0][0], F_SETFL, O_NONBLOCK);
	for (unsigned i = 0; store != NULL && i < store->nslots; i++)
		sv_wire_peer(store, i, s->cfg.name, instance, 0, pairs[3 + i][0]);
	if (auth != NULL)
		sv_wire_peer(auth, 0, s->cfg.name, instance, s->deliver ?
		    IPC_CTL_PEER_DELIVERY : 0, pairs[1][0]);
	if (keyd != NULL)
		sv_wire_peer(keyd, 0, s->cfg.name, instance, s->cfg.role ==
		    ROLE_PUSH ? IPC_CTL_PEER_PUSH : s->cfg.role == ROLE_SUBMIT ?
		    IPC_CTL_PEER_SUBMIT : 0, pairs[2][0]);
	struct sv_proc *p = sv_proc_new(s, rec, pid, uid, instance, slot,
	    pairs[0][0]);
	if (s->cfg.role == ROLE_SUBMIT)
		sv_store_chan_spawned(p);
	sv_log_attach(p, logr);
	return p;
fail:
	log_err("%s: spawn: %m", s->cfg.name);
fail_quiet:;
	const int own[] = { logr, logw };
	for (size_t k = 0; k < sizeof(own) / sizeof(own[0]); k++)
		if (own[k] >= 0)
			close(own[k]);
	for (int *f = &pairs[0][0]; f < &pairs[0][0] + 2 * np; f++)
		if (*f >= 0)
			close(*f);
	return NULL;
}
