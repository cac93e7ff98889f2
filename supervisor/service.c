/* service: the per-service state table (every state x event has an
 * action), processes, reaping, restart with backoff, stop. */
#include "sv.h"
#include "ipc.h"

#include <sys/wait.h>

#define PID_BUCKETS 1024

static struct sv_proc *pidtab[PID_BUCKETS];

struct sv_proc *
sv_proc_find(pid_t pid)
{
	struct sv_proc *p = pidtab[pid % PID_BUCKETS];
	while (p != NULL && p->pid != pid)
		p = p->hnext;
	return p;
}

/* A worker's control channel is readable (or, for authd and stored,
 * writable again). The only record a worker may send there is CTL_READY,
 * once (after it, a busy connection worker's channel is closed: below),
 * and, from authd after it, CTL_LOGGED_IN, from submitd
 * CTL_RELAY_ASK (relay.c) and CTL_STORE_ASK (store_chan.c), from a
 * worker of a service with max-relogins CTL_RELOGIN_ASK (relogin.c); all
 * are compared, not decoded (CTL_LOGGED_IN's user is bytes kept as they
 * are; CTL_STORE_ASK's shard a checked number; fds sent with them are
 * discarded by the kernel: recv takes no ancillary data). Anything else
 * kills the worker, a busy one too: its channel stays watched. */
static void
proc_ctl_read(struct sv_proc *p, bool reaped)
{
	struct sv_service *s = p->svc;
	bool reset_seen = false;
	while (p->ctl >= 0) {
		uint8_t rec[IPC_LOGGED_IN_MAX + 1];   /* + 1: a longer one is seen */
		uint64_t inst;
		const uint8_t *user;
		size_t ulen;
		ssize_t n = recv(p->ctl, rec, sizeof(rec), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		/* A worker that exits with our records unread makes the kernel
		 * report ECONNRESET once, ahead of what it sent before: its
		 * CTL_READY may still be queued behind the error. */
		if (n < 0 && errno == ECONNRESET && !reset_seen) {
			reset_seen = true;
			continue;
		}
		if (n <= 0)
			break;   /* drained, or gone: reaping follows */
		if (p->ready && s->cfg.role == ROLE_AUTH &&
		    ipc_is_logged_in(rec, (size_t)n, &inst, &user, &ulen)) {
			sv_pool_logged_in(inst, user, ulen);
			continue;
		}
		if (p->ready && !reaped && s->cfg.role == ROLE_SUBMIT &&
		    ipc_is_bare(rec, (size_t)n, IPC_CTL_RELAY_ASK)) {
			sv_relay_ask(p);
			continue;
		}
		if (p->ready && !reaped && s->max_relogins > 0 &&
		    ipc_is_bare(rec, (size_t)n, IPC_CTL_RELOGIN_ASK)) {
			sv_relogin_ask(p);
			continue;
		}
		unsigned shard;
		if (p->ready && !reaped && s->cfg.role == ROLE_SUBMIT &&
		    sv_store_ask_record(rec, (size_t)n, &shard)) {
			sv_store_ask(p, shard);
			continue;
		}
		if (p->ready || !ipc_is_ready(rec, (size_t)n)) {
			int v = ipc_ready_version(rec, (size_t)n);
			char why[64] = "unexpected record";
			if (v >= 0 && v != IPC_VERSION)
				snprintf(why, sizeof(why), "IPC version %d from peer,"
				    " expected %d", v, IPC_VERSION);
			log_warn("%s: pid %d instance %llu: %s on its control"
			    " channel; killing it", s->cfg.name, (int)p->pid,
			    (unsigned long long)p->instance, why);
			if (!reaped)   /* a reaped pid may be someone else's now */
				kill(p->pid, SIGKILL);
			break;
		}
		p->ready = true;
		log_debug("%s: pid %d instance %llu ready", s->cfg.name,
		    (int)p->pid, (unsigned long long)p->instance);
	}
	/* A busy connection worker of a service without re-logins has had its
	 * last record from us (CTL_CONN) and owes us none once it is ready:
	 * its channel is closed, not kept, so that a live session costs
	 * cloisterd one fd (its log channel). Closed with nothing unread, the
	 * worker reads its CTL_CONN and then EOF, as after SHUT_WR; whatever
	 * it sends later goes nowhere and is parsed by no one. */
	if (!reaped && p->ctl >= 0 && p->ready && p->busy &&
	    s->cfg.role == ROLE_CONNECTION && s->max_relogins == 0)
		sv_close(&p->ctl);
}

static void
proc_ctl_event(struct sv_service *s, unsigned pid)
{
	struct sv_proc *p = sv_proc_find((pid_t)pid);
	if (p == NULL || p->ctl < 0)
		return;
	proc_ctl_read(p, false);
	if (s->cfg.role != ROLE_CONNECTION)
		sv_wire_flush(s, p->slot);
}

/* We have nothing more to say to p. Its CTL_READY is read first: closing
 * a socket with unread records makes the kernel fail the peer's next read
 * with ECONNRESET, which could hide the CTL_CONN queued for it. With keep,
 * the fd stays (only the sending side is shut) until p is reaped, so a
 * CTL_READY still on its way cannot do that either, and it stays watched:
 * a record p sends later is read, and kills it. */
void
sv_proc_ctl_end(struct sv_proc *p, bool keep)
{
	if (p->ctl < 0)
		return;
	proc_ctl_read(p, false);
	if (!keep || p->ctl < 0) {
		sv_close(&p->ctl);
		return;
	}
	shutdown(p->ctl, SHUT_WR);
}

/* "service/instance[pid]": how cloisterd names a process in its log. */
void
sv_proc_who(const struct sv_proc *p, char out[SV_WHO_MAX])
{
	snprintf(out, SV_WHO_MAX, "%s/%llu[%d]", p->svc->cfg.name,
	    (unsigned long long)p->instance, (int)p->pid);
}

/* authd, keyd and stored: every session needs them, so they are never
 * held. */
bool
sv_required(const struct sv_service *s)
{
	return s->cfg.role == ROLE_AUTH || s->cfg.role == ROLE_STORE ||
	    s->cfg.role == ROLE_KEY;
}

/* A process record; p: a pending record that now gets its worker. Its
 * control channel is watched edge-triggered for CTL_READY, and, for authd
 * and stored, for room to send what is queued for them (wire.c). */
struct sv_proc *
sv_proc_new(struct sv_service *s, struct sv_proc *p, pid_t pid, uid_t uid,
    uint64_t inst, unsigned slot, int ctl)
{
	if (p == NULL && (p = calloc(1, sizeof(*p))) == NULL)
		log_fatal("out of memory");
	p->pid = pid;
	p->uid = uid;
	p->instance = inst;
	p->svc = s;
	p->slot = slot;
	p->ctl = ctl;
	p->ready = false;
	p->peer_deaths = sv.peer_deaths;
	p->log = -1;
	p->started = sv_now();
	p->since = 0;
	p->client_addr[0] = '\0';
	p->has_user = false;
	p->ulen = 0;
	p->relogins = p->relogin_asks = 0;
	p->w_ctl = (struct sv_watch){ proc_ctl_event, s, (unsigned)pid };
	sv_epoll(EPOLL_CTL_ADD, ctl, &p->w_ctl, EPOLLIN | EPOLLET |
	    (s->cfg.role != ROLE_CONNECTION ? EPOLLOUT : 0));
	p->hnext = pidtab[pid % PID_BUCKETS];
	pidtab[pid % PID_BUCKETS] = p;
	s->spawns++;
	if (s->owed > 0) {
		s->owed--;
		s->restarts++;
	}
	log_debug("%s: spawned pid %d instance %llu uid %u", s->cfg.name,
	    (int)pid, (unsigned long long)inst, (unsigned)uid);
	return p;
}

void
sv_proc_retire(struct sv_proc *p, int sig)
{
	p->retiring = true;
	sv_proc_ctl_end(p, false);   /* an idle worker sees EOF and leaves */
	kill(p->pid, sig);
}

static unsigned
nprocs(const struct sv_service *s)
{
	unsigned n = s->idle.n + s->busy.n;
	for (unsigned i = 0; i < s->nslots; i++)
		n += s->slot[i].proc != NULL;
	return n;
}

static void
kill_all(struct sv_service *s, int sig, bool busy_too)
{
	sv_pool_drop_pending(s);
	sv_pool_retire_idle(s);
	for (struct sv_proc *p = s->busy.head; busy_too && p != NULL; p = p->next)
		sv_proc_retire(p, sig);
	for (unsigned i = 0; i < s->nslots; i++)
		if (s->slot[i].proc != NULL)
			sv_proc_retire(s->slot[i].proc, sig);
}

struct sv_service *
sv_role(enum config_role r)
{
	for (struct sv_service *s = sv.services; s != NULL; s = s->next)
		if (s->cfg.role == r && s->state < SV_STOPPING)
			return s;
	return NULL;
}

/* ---- the state table ---- */

static void
act_backoff(struct sv_service *s)
{
	int64_t max = sv_required(s) ? sv.tune.backoff_max_required :
	    sv.tune.backoff_max;
	int64_t d = sv.tune.backoff_min;
	for (unsigned i = 1; i < s->nfails && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	s->timer = sv_now() + d;
	s->backoffs++;
	log_warn("%s: %u start failure%s in %llds, next start in %lld ms%s",
	    s->cfg.name, s->nfails, s->nfails == 1 ? "" : "s",
	    (long long)(sv.tune.restart_window / 1000), (long long)d,
	    sv_required(s) ? " (required: never held)" : "");
}

/* Deaths after CTL_READY are restarted at once, but a process that dies as
 * soon as it is ready must not turn into a fork+exec loop: past
 * SV_SPIN_MAX in a second, the next start waits for the end of that
 * second (no doubling, never a hold: outside events may cause such
 * deaths). */
static void
act_pause(struct sv_service *s)
{
	int64_t now = sv_now(), t = s->spin_start + 1000;
	if (s->timer < t)
		s->timer = t;
	s->backoffs++;
	log_warn("%s: %u restarts within a second, next start in %lld ms",
	    s->cfg.name, s->spin, (long long)(s->timer - now));
}

static void
act_hold(struct sv_service *s)
{
	s->timer = 0;
	log_err("%s: held after %u start failures in %llds; fix it and send"
	    " SIGHUP", s->cfg.name, s->nfails,
	    (long long)(sv.tune.restart_window / 1000));
}

static void
act_reset(struct sv_service *s)
{
	if (s->state == SV_HELD || s->state == SV_BACKOFF)
		log_info("%s: %s -> running (reload)", s->cfg.name,
		    sv_state_names[s->state]);
	s->nfails = 0;
	s->timer = 0;
}

/* Stop: listeners go, idle workers go, the rest get SIGTERM and a
 * deadline. On reload (not shutdown) busy workers keep their client. */
static void
act_stop(struct sv_service *s)
{
	for (size_t i = 0; i < s->nlst; i++)
		sv_listen_close(&s->lst[i]);
	for (unsigned i = 0; i < s->nslots; i++)
		sv_listen_close(&s->slot[i].admin);
	kill_all(s, SIGTERM, sv.stopping);
	s->timer = sv.stopping || s->cfg.role != ROLE_CONNECTION ?
	    sv_now() + sv.tune.stop_timeout : 0;
}

static void
act_kill(struct sv_service *s)
{
	log_warn("%s: %u process%s left at the deadline, SIGKILL", s->cfg.name,
	    nprocs(s), nprocs(s) == 1 ? "" : "es");
	kill_all(s, SIGKILL, true);
	s->timer = 0;
}

/* Every process is gone (and with each, its slot's queue). */
static void
act_release(struct sv_service *s)
{
	log_info("%s: stopped", s->cfg.name);
}

/* The functions behind enum sv_act (statetab.c's cells). */
static void (*const actions[SV_NACTS])(struct sv_service *) = {
	[ACT_NONE] = NULL,
	[ACT_BACKOFF] = act_backoff,
	[ACT_PAUSE] = act_pause,
	[ACT_HOLD] = act_hold,
	[ACT_RESET] = act_reset,
	[ACT_STOP] = act_stop,
	[ACT_KILL] = act_kill,
	[ACT_RELEASE] = act_release,
};

void
sv_service_event(struct sv_service *s, enum sv_event ev)
{
	enum sv_state from = s->state;
	const struct sv_cell *cell = &sv_state_table[from][ev];
	if (actions[cell->act] != NULL)
		actions[cell->act](s);
	if (cell->next != SV_STAY)
		s->state = cell->next;
	if (s->state != from)
		log_debug("%s: %s -> %s", s->cfg.name, sv_state_names[from],
		    sv_state_names[s->state]);
	if (s->state == SV_STOPPING && nprocs(s) == 0)
		sv_service_event(s, EV_EMPTY);
}

static void
record_failure(struct sv_service *s)
{
	int64_t now = sv_now();
	unsigned k = 0;
	for (unsigned i = 0; i < s->nfails; i++)
		if (s->fails[i] > now - sv.tune.restart_window)
			s->fails[k++] = s->fails[i];
	if (k == sizeof(s->fails) / sizeof(s->fails[0]))
		k--;
	s->fails[k++] = now;
	s->nfails = k;
	sv_service_event(s, k >= sv.tune.restart_burst && !sv_required(s) ?
	    EV_FAIL_LIMIT : EV_FAIL);
}

/* Whether s may start processes now; soon (a backoff, or a pool's peer is
 * (re)starting: its clients wait); or not (held, a peer held, stopping:
 * its clients are refused). A pool waits for every peer it needs: its
 * workers' channels would be dead. */
enum sv_ready
sv_ready(const struct sv_service *s)
{
	if (sv.stopping || s->state > SV_BACKOFF)
		return SV_NO;
	if (s->state == SV_BACKOFF)
		return SV_SOON;
	if (s->cfg.role != ROLE_CONNECTION && s->cfg.role != ROLE_SUBMIT &&
	    s->cfg.role != ROLE_PUSH)
		return SV_NOW;   /* submitd and pushd, like a pool, wait for the shards */
	const struct sv_service *d[3] = { sv_role(ROLE_STORE),
		s->auth ? sv_role(ROLE_AUTH) : NULL,
		s->keyd ? sv_role(ROLE_KEY) : NULL };
	enum sv_ready r = SV_NOW;
	for (int k = 0; k < 3; k++)
		for (unsigned i = 0; d[k] != NULL && i < d[k]->nslots; i++) {
			const struct sv_proc *p = d[k]->slot[i].proc;
			if ((p == NULL || p->retiring) && r != SV_NO)
				r = d[k]->state == SV_HELD ? SV_NO : SV_SOON;
		}
	return r;
}

static struct sv_proc *
proc_take(pid_t pid)
{
	struct sv_proc **pp = &pidtab[pid % PID_BUCKETS];
	while (*pp != NULL && (*pp)->pid != pid)
		pp = &(*pp)->hnext;
	struct sv_proc *p = *pp;
	if (p != NULL)
		*pp = p->hnext;   /* unlinked: the caller frees it */
	return p;
}

static void
proc_exited(struct sv_proc *p, int status)
{
	struct sv_service *s = p->svc;
	proc_ctl_read(p, true);   /* a CTL_READY sent just before it died counts */
	sv_log_detach(p);   /* its last words and counters, before the line
	                       about its end */
	bool sig = WIFSIGNALED(status);
	int code = sig ? WTERMSIG(status) : WEXITSTATUS(status);
	if (sig)
		s->crashes++;
	else if (code == 0)
		s->exits_ok++;
	else
		s->exits_error++;
	/* An unexpected death: one we did not ask for. A busy connection
	 * worker's death is its client's end, not the service's: neither.
	 * A start failure: an unexpected death before CTL_READY. A death after
	 * it (kill -9, a crash on one request) is replaced at once: it proved
	 * that the service starts, and no outside event may get a service
	 * held. */
	bool unexpected = !p->retiring && s->state < SV_STOPPING &&
	    (s->cfg.role != ROLE_CONNECTION || !p->busy);
	/* a connection worker that dies starting up after one of its peers
	 * died lost its channel: that is the peer's failure, not its own */
	bool peer_lost = s->cfg.role == ROLE_CONNECTION &&
	    p->peer_deaths != sv.peer_deaths;
	bool failure = unexpected && !p->ready && !peer_lost;
	if (unexpected)
		s->owed++;
	log_msg(unexpected || (sig && !p->retiring) ? LOG_LVL_WARN : LOG_LVL_DEBUG,
	    "%s: pid %d instance %llu %s %d%s", s->cfg.name, (int)p->pid,
	    (unsigned long long)p->instance, sig ? "killed by signal" :
	    "exited with status", code, failure ? " (a start failure)" :
	    unexpected ? " (restarting)" : "");
	if (s->cfg.role == ROLE_CONNECTION) {
		sv_pool_forget(p);
	} else {   /* authd, a stored shard, the stats helper */
		s->slot[p->slot].proc = NULL;
		if (s->cfg.role == ROLE_STORE || s->cfg.role == ROLE_AUTH ||
		    s->cfg.role == ROLE_KEY)
			sv.peer_deaths++;
		sv_wire_drop(&s->slot[p->slot]);
	}
	/* a dead authd, keyd or stored: idle spares hold channels to it, so
	 * they are replaced; busy workers find out by themselves and exit
	 * (crash-only) */
	for (struct sv_service *c = sv.services; c != NULL; c = c->next)
		if (c->cfg.role == ROLE_CONNECTION && (s->cfg.role == ROLE_STORE ||
		    (s->cfg.role == ROLE_AUTH && c->auth) ||
		    (s->cfg.role == ROLE_KEY && c->keyd)))
			sv_pool_retire_idle(c);
	sv_close(&p->ctl);
	sv_ids_give(p->uid);   /* reaped: nothing runs under it any more */
	free(p);
	if (failure) {
		s->start_failures++;
		record_failure(s);
	} else if (unexpected) {
		int64_t now = sv_now();
		if (now - s->spin_start >= 1000) {
			s->spin_start = now;
			s->spin = 0;
		}
		if (++s->spin > SV_SPIN_MAX)
			sv_service_event(s, EV_SPIN);
	}
	if (s->state == SV_STOPPING && nprocs(s) == 0)
		sv_service_event(s, EV_EMPTY);
}

/* Peers first: their death retires the spares that held channels to them,
 * so those spares' exits are not taken for start failures. */
static void
reap_peers(void)
{
	int status;
	for (struct sv_service *s = sv.services; s != NULL; s = s->next)
		for (unsigned i = 0; i < s->nslots; i++) {
			struct sv_proc *p = s->slot[i].proc;
			if (p != NULL && waitpid(p->pid, &status, WNOHANG) == p->pid)
				proc_exited(proc_take(p->pid), status);
		}
}

void
sv_reap(void)
{
	int status;
	pid_t pid;
	reap_peers();
	siginfo_t si;
	/* WNOWAIT: look before reaping, so the pid stays ours meanwhile */
	while (memset(&si, 0, sizeof(si)), waitid(P_ALL, 0, &si,
	    WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid > 0) {
		pid = si.si_pid;
		struct sv_proc *p = sv_proc_find(pid);
		/* a worker that saw its peer's channel close can be a zombie
		 * before that peer is: look at the peers again first */
		if (p != NULL && p->svc->cfg.role == ROLE_CONNECTION && !p->ready)
			reap_peers();
		if (waitpid(pid, &status, WNOHANG) != pid)
			break;   /* not ours after all: never spin on it */
		if ((p = proc_take(pid)) != NULL)
			proc_exited(p, status);
	}
}

void
sv_tick(int64_t now)
{
	for (struct sv_service **pp = &sv.services, *s; (s = *pp) != NULL;) {
		if (s->timer != 0 && now >= s->timer) {
			s->timer = 0;
			sv_service_event(s, EV_TIMER);
		}
		if (s->state == SV_STOPPED && !sv.stopping) {
			*pp = s->next;   /* gone from the config, and done */
			if (s->filter >= 0)
				close(s->filter);
			free(s);
			continue;
		}
		for (unsigned i = 0; s->cfg.role != ROLE_CONNECTION &&
		    i < s->nslots; i++) {
			struct sv_slot *sl = &s->slot[i];
			if (sl->proc != NULL || sv_ready(s) != SV_NOW)
				continue;
			if ((sl->proc = sv_spawn(s, i, NULL)) == NULL)
				record_failure(s);
			else if (s->cfg.role == ROLE_AUTH ||
			    s->cfg.role == ROLE_STORE)
				sv_wire_key(sl->proc);   /* keyd never sees it */
		}
		pp = &s->next;
	}
	/* pools after the peers they need */
	for (struct sv_service *s = sv.services; s != NULL; s = s->next)
		if (s->cfg.role == ROLE_CONNECTION)
			sv_pool_fill(s);
	sv_relay_tick(now);
	if (now >= sv.stats_due) {
		sv_stats_publish();
		sv_log_tick();
		sv.stats_due = now + 1000;
	}
}

int
sv_next_timeout(int64_t now)
{
	int64_t next = sv.stats_due;
	for (struct sv_service *s = sv.services; s != NULL; s = s->next)
		if (s->timer != 0 && s->timer < next)
			next = s->timer;
	if (sv.more_work)
		return 0;
	return next <= now ? 0 : next - now > 1000 ? 1000 : (int)(next - now);
}
