/* stats: fixed-size records in from each process's own stats pipe (the
 * pipe is the sender's identity), fixed-size aggregates out to the stats
 * helper about once a second. Nothing else is read from a worker. */
#include "sv.h"

#define READS_PER_WAKEUP 64

/* A stats pipe for a new process: our end, or -1. O_NONBLOCK on both
 * ends: a worker's write never blocks it (a full pipe loses statistics,
 * never service), and our reads never block. Each process has its own,
 * so that no worker can re-flag, resize, fill or desynchronise another's. */
int
sv_stats_open(int *worker_end)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	*worker_end = p[1];
	return p[0];
}

/* Read up to max records of p; a bad one drops only p's own queue. */
static void
read_records(struct sv_proc *p, int max)
{
	struct sv_service *s = p->svc;
	for (int i = 0; p->stats >= 0 && i < max; i++) {
		struct stats_record r;
		ssize_t n = read(p->stats, &r, sizeof(r));
		if (n == 0)   /* it is gone: no more wakeups until it is reaped */
			epoll_ctl(sv.ep, EPOLL_CTL_DEL, p->stats, NULL);
		if (n <= 0)
			return;
		if (n != (ssize_t)sizeof(r) || r.magic != STATS_MAGIC ||
		    r.size != sizeof(r) ||
		    (r.kind != STATS_KIND_DELTA && r.kind != STATS_KIND_GAUGE)) {
			/* whole records cannot interleave (< PIPE_BUF), so a short or
			 * foreign one was written on purpose: drop what is queued to
			 * find record boundaries again */
			char who[SV_WHO_MAX];
			sv_proc_who(p, who);
			log_warn("%s: bad stats record (%zd bytes), dropping its queue",
			    who, n);
			while (++i < max && read(p->stats, &r, sizeof(r)) > 0)
				;
			return;
		}
		if (r.kind == STATS_KIND_DELTA)
			for (int c = 0; c < ST_COUNTER_MAX; c++)
				s->counter[c] += r.counter[c];
		else
			memcpy(s->slot[p->slot].gauge, r.gauge,
			    sizeof(s->slot[p->slot].gauge));
	}
}

static void
stats_event(struct sv_service *s, unsigned pid)
{
	(void)s;
	struct sv_proc *p = sv_proc_find((pid_t)pid);
	if (p != NULL)
		read_records(p, READS_PER_WAKEUP);
}

void
sv_stats_attach(struct sv_proc *p, int fd)
{
	p->stats = fd;
	p->w_stats = (struct sv_watch){ stats_event, p->svc, (unsigned)p->pid };
	sv_epoll(EPOLL_CTL_ADD, fd, &p->w_stats, EPOLLIN);
}

/* The process is gone: what it flushed last is still counted (a pipe
 * holds at most 64 KiB: a bounded read). */
void
sv_stats_detach(struct sv_proc *p)
{
	read_records(p, 65536 / (int)sizeof(struct stats_record) + 1);
	sv_close(&p->stats);
}

static void
add_service(struct stats_aggregate *a, const struct sv_service *s)
{
	for (int c = 0; c < ST_COUNTER_MAX; c++)
		a->counter[c] += s->counter[c];
	for (unsigned i = 0; i < s->nslots; i++) {
		for (int g = 0; g < SG_GAUGE_MAX; g++)
			a->gauge[g] += s->slot[i].gauge[g];
		a->processes += s->slot[i].proc != NULL;
	}
	a->processes += s->idle.n + s->busy.n;
	a->max_processes += s->cfg.role == ROLE_CONNECTION ?
	    s->cfg.max_processes : s->nslots;
	a->spawns += s->spawns;
	a->exits_ok += s->exits_ok;
	a->exits_error += s->exits_error;
	a->crashes += s->crashes;
	a->restarts += s->restarts;
	a->refusals += s->refusals;
	a->start_failures += s->start_failures;
	a->backoffs += s->backoffs;
	a->held += s->state == SV_HELD;
}

/* One aggregate per service of the current config, then the total. A full
 * pipe drops the round: the helper gets totals, so nothing is lost but
 * freshness. */
void
sv_stats_publish(void)
{
	struct stats_aggregate all = { .magic = STATS_MAGIC, .size = sizeof(all),
		.service_index = STATS_GLOBAL, .name = "cloisterd",
		.generation = sv.generation };
	if (sv_role(ROLE_STATS) == NULL)
		return;
	for (struct sv_service *s = sv.services; s != NULL; s = s->next) {
		if (s->state >= SV_STOPPING)
			continue;   /* gone from the current config */
		struct stats_aggregate a = { .magic = STATS_MAGIC,
			.size = sizeof(a), .service_index = (uint16_t)s->index,
			.generation = sv.generation };
		memcpy(a.name, s->cfg.name, sizeof(s->cfg.name));
		add_service(&a, s);
		add_service(&all, s);
		if (write(sv.agg[1], &a, sizeof(a)) != (ssize_t)sizeof(a))
			return;
	}
	all.uptime_s = (uint64_t)((sv_now() - sv.started) / 1000);
	if (write(sv.agg[1], &all, sizeof(all)) != (ssize_t)sizeof(all))
		return;
}
