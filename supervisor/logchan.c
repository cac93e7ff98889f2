/* logchan: one log channel per worker. Each process gets its own
 * non-blocking SOCK_DGRAM socketpair at CLOISTER_FD_LOG, fd 2 and
 * CLOISTER_FD_STATS (a datagram that starts with STATS_MAGIC is a stats
 * record: stats.c counts it, outside the log's bucket); we read
 * datagrams of at most LOG_RELAY_MAX bytes (longer ones are cut and
 * marked), let each worker through a token bucket (log-rate lines a second,
 * log-burst at once), and write every line under the identity we know —
 * service/instance[pid] — never one the worker claims. What is over the
 * rate is dropped and counted, and the count logged about once a second. */
#include "sv.h"

#define READS_PER_WAKEUP 32   /* one chatty worker cannot hold up the loop */
#define DRAIN_AT_EXIT 256     /* datagrams read from a dead worker's channel */

/* One token per line; milli-tokens so that any rate refills smoothly. */
static bool
take_token(struct sv_proc *p, int64_t now)
{
	int64_t cap = (int64_t)sv.tune.log_burst * 1000;
	p->log_tokens += (now - p->log_at) * (int64_t)sv.tune.log_rate;
	p->log_at = now;
	if (p->log_tokens > cap)
		p->log_tokens = cap;
	if (p->log_tokens < 1000) {
		p->log_dropped++;
		return false;
	}
	p->log_tokens -= 1000;
	return true;
}

/* Read one datagram and write its lines (a raw fd 2 write may hold
 * several); false when the channel is empty. */
static bool
relay_one(struct sv_proc *p, int64_t now)
{
	static char d[LOG_RELAY_MAX];
	ssize_t n = recv(p->log, d, sizeof(d), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return errno == EINTR;
	bool cut = (size_t)n > sizeof(d);
	size_t len = cut ? sizeof(d) : (size_t)n;
	uint32_t magic = 0;
	if (len >= sizeof(magic))
		memcpy(&magic, d, sizeof(magic));
	if (magic == STATS_MAGIC) {
		sv_stats_record(p, d, (size_t)n);
		return true;
	}
	char id[SV_WHO_MAX];
	sv_proc_who(p, id);
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(d + off, '\n', len - off);
		size_t end = nl != NULL ? (size_t)(nl - d) : len;
		if (end > off && take_token(p, now))
			log_relay(id, d + off, end - off, cut && end == len);
		off = end + 1;
	}
	return true;
}

static void
report_dropped(struct sv_proc *p)
{
	if (p->log_dropped == 0)
		return;
	char id[SV_WHO_MAX];
	sv_proc_who(p, id);
	log_relay_note(id, LOG_LVL_WARN, "%llu log lines dropped (over log-rate"
	    " %u/s)", (unsigned long long)p->log_dropped, sv.tune.log_rate);
	p->log_dropped = 0;
}

static void
log_event(struct sv_service *s, unsigned pid)
{
	(void)s;
	struct sv_proc *p = sv_proc_find((pid_t)pid);
	int64_t now = sv_now();
	for (int i = 0; p != NULL && p->log >= 0 && i < READS_PER_WAKEUP; i++)
		if (!relay_one(p, now))
			break;
}

/* A channel for a new process: our end, non-blocking like the worker's
 * (SOCK_NONBLOCK sets both), or -1. */
int
sv_log_open(int *worker_end)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
	    sp) < 0)
		return -1;
	*worker_end = sp[1];
	return sp[0];
}

void
sv_log_attach(struct sv_proc *p, int fd)
{
	p->log = fd;
	p->log_at = sv_now();
	p->log_tokens = (int64_t)sv.tune.log_burst * 1000;
	p->log_dropped = 0;
	p->w_log = (struct sv_watch){ log_event, p->svc, (unsigned)p->pid };
	sv_epoll(EPOLL_CTL_ADD, fd, &p->w_log, EPOLLIN);
}

/* The process is gone: what it wrote last (often why it died) goes out
 * before the line about its exit, within the bucket; then the count. */
void
sv_log_detach(struct sv_proc *p)
{
	int64_t now = sv_now();
	for (int i = 0; p->log >= 0 && i < DRAIN_AT_EXIT; i++)
		if (!relay_one(p, now))
			break;
	report_dropped(p);
	sv_close(&p->log);
}

static void
tick_list(const struct sv_list *l)
{
	for (struct sv_proc *p = l->head; p != NULL; p = p->next)
		report_dropped(p);
}

/* About once a second: the drop counts of every live process. */
void
sv_log_tick(void)
{
	for (struct sv_service *s = sv.services; s != NULL; s = s->next) {
		tick_list(&s->idle);
		tick_list(&s->busy);
		for (unsigned i = 0; i < s->nslots; i++)
			if (s->slot[i].proc != NULL)
				report_dropped(s->slot[i].proc);
	}
}
