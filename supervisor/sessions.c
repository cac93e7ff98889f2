/* sessions: who each busy connection worker serves — its client's address
 * (from our own accept(2)) and, once authd says so, its user — and the
 * text of `cloisterctl status` and `who`. The user is the one thing here
 * another process chose: CTL_LOGGED_IN's bytes, copied within their
 * checked length, never parsed, and escaped whenever printed. */
#include "sv.h"
#include "buf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>

#define PIDS_SHOWN 8      /* a service's pids listed in status, then "+N" */

void
sv_session_start(struct sv_proc *p, const struct sockaddr_storage *peer,
    socklen_t plen)
{
	p->since = (int64_t)time(NULL);
	p->has_user = false;
	p->ulen = 0;
	const void *a = NULL;
	if (peer->ss_family == AF_INET && plen >= sizeof(struct sockaddr_in))
		a = &((const struct sockaddr_in *)peer)->sin_addr;
	else if (peer->ss_family == AF_INET6 &&
	    plen >= sizeof(struct sockaddr_in6))
		a = &((const struct sockaddr_in6 *)peer)->sin6_addr;
	if (a == NULL || inet_ntop(peer->ss_family, a, p->client_addr,
	    sizeof(p->client_addr)) == NULL)
		snprintf(p->client_addr, sizeof(p->client_addr), "local");
}

/* One report per session: a login happens once per worker, so a second
 * report is a broken or lying authd, and the first one stands. */
void
sv_session_user(struct sv_proc *p, const uint8_t *user, size_t ulen)
{
	if (p->has_user) {
		char who[SV_WHO_MAX];
		sv_proc_who(p, who);
		log_warn("%s: a second login report for one session; the first"
		    " stands", who);
		return;
	}
	if (ulen > sizeof(p->user))
		ulen = sizeof(p->user);
	memcpy(p->user, user, ulen);
	p->ulen = (uint8_t)ulen;
	p->has_user = true;
}

/* Printable ASCII as it is; a backslash, a blank, a control or any other
 * byte as \xHH: one line per session, whatever the bytes. */
static void
put_escaped(struct buf *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] > 0x20 && p[i] < 0x7f && p[i] != '\\')
			buf_append_byte(out, p[i]);
		else
			buf_printf(out, "\\x%02x", p[i]);
	}
}

static bool
is_session(const struct sv_proc *p)
{
	return p->pid > 0 && p->since > 0 && !p->retiring;
}

struct pid_list {
	unsigned shown, more;
	int64_t oldest;          /* the oldest process's start, or 0 */
};

static void
pid_add(struct buf *out, struct pid_list *l, const struct sv_proc *p)
{
	if (p == NULL || p->pid <= 0)
		return;
	if (l->oldest == 0 || p->started < l->oldest)
		l->oldest = p->started;
	if (l->shown < PIDS_SHOWN)
		buf_printf(out, "%s%d", l->shown++ ? "," : "", (int)p->pid);
	else
		l->more++;
}

/* The service's pids (at most PIDS_SHOWN, then ",+N"); the oldest start. */
static int64_t
put_pids(struct buf *out, const struct sv_service *s)
{
	struct pid_list l = { 0, 0, 0 };
	for (unsigned i = 0; i < s->nslots && s->cfg.role != ROLE_CONNECTION; i++)
		pid_add(out, &l, s->slot[i].proc);
	for (const struct sv_proc *p = s->idle.head; p != NULL; p = p->next)
		pid_add(out, &l, p);
	for (const struct sv_proc *p = s->busy.head; p != NULL; p = p->next)
		pid_add(out, &l, p);
	if (l.shown == 0)
		buf_append_str(out, "-");
	else if (l.more > 0)
		buf_printf(out, ",+%u", l.more);
	return l.oldest;
}

void
sv_report_status(struct buf *out)
{
	int64_t now = sv_now();
	buf_printf(out, "cloisterd\tpid %d\tup %llds\tgeneration %u\n",
	    (int)getpid(), (long long)((now - sv.started) / 1000),
	    sv.generation);
	buf_append_str(out, "SERVICE\tROLE\tSTATE\tPIDS\tUPTIME\tRESTARTS"
	    "\tSESSIONS\tLOGGED-IN\n");
	for (const struct sv_service *s = sv.services; s != NULL; s = s->next) {
		if (s->state == SV_STOPPED)
			continue;
		buf_printf(out, "%s\t%s\t%s\t", s->cfg.name,
		    config_role_name(s->cfg.role), sv_state_names[s->state]);
		int64_t oldest = put_pids(out, s);
		if (s->cfg.role == ROLE_CONNECTION)
			oldest = s->created;
		buf_printf(out, "\t%llds\t%llu\t", oldest ? (long long)((now -
		    oldest) / 1000) : 0LL, (unsigned long long)s->restarts);
		unsigned live = 0, users = 0;
		for (const struct sv_proc *p = s->busy.head; p != NULL; p = p->next)
			if (is_session(p)) {
				live++;
				users += p->has_user;
			}
		if (s->cfg.role == ROLE_CONNECTION)
			buf_printf(out, "%u\t%u\n", live, users);
		else
			buf_append_str(out, "-\t-\n");
	}
	buf_append_str(out, "held services:");
	unsigned held = 0;
	for (const struct sv_service *s = sv.services; s != NULL; s = s->next)
		if (s->state == SV_HELD && ++held)
			buf_printf(out, " %s", s->cfg.name);
	buf_append_str(out, held ? "\n" : " none\n");
}

void
sv_report_who(struct buf *out)
{
	buf_append_str(out, "SERVICE\tPID\tUSER\tCLIENT\tSINCE\n");
	for (const struct sv_service *s = sv.services; s != NULL; s = s->next)
		for (const struct sv_proc *p = s->busy.head; p != NULL;
		    p = p->next) {
			if (s->cfg.role != ROLE_CONNECTION || !is_session(p))
				continue;
			char since[32];
			time_t t = (time_t)p->since;
			struct tm tm;
			if (gmtime_r(&t, &tm) == NULL || strftime(since,
			    sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
				snprintf(since, sizeof(since), "-");
			buf_printf(out, "%s\t%d\t", s->cfg.name, (int)p->pid);
			if (p->has_user)
				put_escaped(out, p->user, p->ulen);
			else
				buf_append_str(out, "-");
			buf_printf(out, "\t%s\t%s\n", p->client_addr, since);
		}
}

unsigned
sv_kick(const uint8_t *user, size_t ulen)
{
	unsigned n = 0;
	for (struct sv_service *s = sv.services; s != NULL; s = s->next)
		for (struct sv_proc *p = s->busy.head; p != NULL; p = p->next)
			if (s->cfg.role == ROLE_CONNECTION && is_session(p) &&
			    p->has_user && p->ulen == ulen &&
			    memcmp(p->user, user, ulen) == 0) {
				sv_proc_retire(p, SIGTERM);
				n++;
			}
	return n;
}
