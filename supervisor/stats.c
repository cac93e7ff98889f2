/* stats: fixed-size records in from each process's own log channel (the
 * channel is the sender's identity: logchan.c hands us every datagram that
 * starts with STATS_MAGIC), fixed-size aggregates out to the stats helper
 * about once a second. Nothing else is read from a worker. A process's
 * records share its log channel, not a pipe of their own, so that a live
 * session costs cloisterd one fd (its log channel) once it is busy. */
#include "sv.h"

/* One datagram of p that starts with STATS_MAGIC: counted if it is one
 * whole record of a known kind; dropped and reported if not (a datagram is
 * one write: no boundary to find again). */
void
sv_stats_record(struct sv_proc *p, const void *d, size_t n)
{
	struct sv_service *s = p->svc;
	struct stats_record r;
	if (n == sizeof(r))
		memcpy(&r, d, sizeof(r));
	if (n != sizeof(r) || r.size != sizeof(r) ||
	    (r.kind != STATS_KIND_DELTA && r.kind != STATS_KIND_GAUGE)) {
		char who[SV_WHO_MAX];
		sv_proc_who(p, who);
		log_warn("%s: bad stats record (%zu bytes), dropped", who, n);
		return;
	}
	if (r.kind == STATS_KIND_DELTA)
		for (int c = 0; c < ST_COUNTER_MAX; c++)
			s->counter[c] += r.counter[c];
	else
		memcpy(s->slot[p->slot].gauge, r.gauge,
		    sizeof(s->slot[p->slot].gauge));
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
