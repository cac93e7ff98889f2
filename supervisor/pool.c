/* pool: pre-forked connection workers. The supervisor accepts; over the
 * global or per-IP limit the connection is closed at once and no worker is
 * spent; otherwise it goes to an idle worker as one CTL_CONN record. The
 * only input looked at is the peer address the kernel gave accept4(). */
#include "sv.h"
#include "ipc.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static void
list_push(struct sv_list *l, struct sv_proc *p)
{
	p->next = NULL;
	p->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = p;
	else
		l->head = p;
	l->tail = p;
	l->n++;
}

static void
list_del(struct sv_list *l, struct sv_proc *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		l->head = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	else
		l->tail = p->prev;
	p->prev = p->next = NULL;
	l->n--;
}

/* ---- per-IP accounting: busy workers chained by client address ---- */

static bool
ip_key(const struct sockaddr_storage *ss, uint8_t key[17])
{
	memset(key, 0, 17);
	if (ss->ss_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return true;
	}
	if (ss->ss_family != AF_INET6)
		return false;   /* unix peers: the global limit only */
	const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		key[0] = 4;
		memcpy(key + 1, a->s6_addr + 12, 4);
	} else {
		key[0] = 6;
		memcpy(key + 1, a->s6_addr, 16);
	}
	return true;
}

static unsigned
ip_bucket(const uint8_t key[17])
{
	uint32_t h = 2166136261u;   /* FNV-1a */
	for (int i = 0; i < 17; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % SV_IP_BUCKETS;
}

static unsigned
ip_count(const struct sv_service *s, const uint8_t key[17])
{
	unsigned n = 0;
	for (const struct sv_proc *p = s->ipb[ip_bucket(key)]; p; p = p->inext)
		n += memcmp(p->ip, key, 17) == 0;
	return n;
}

void
sv_pool_forget(struct sv_proc *p)
{
	struct sv_service *s = p->svc;
	list_del(p->busy || p->retiring ? &s->busy : &s->idle, p);
	if (!p->has_ip)
		return;
	for (struct sv_proc **pp = &s->ipb[ip_bucket(p->ip)]; *pp != NULL;
	    pp = &(*pp)->inext)
		if (*pp == p) {
			*pp = p->inext;
			break;
		}
}

/* ---- spawning ---- */

static void
close_pairs(int (*pairs)[2], size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 2; k++)
			if (pairs[i][k] >= 0)
				close(pairs[i][k]);
}

/* One connection worker: its control channel, one channel per store
 * shard, one to authd if the service has 'set auth yes'. The peer ends go
 * to stored/authd as CTL_PEER before the worker can say anything. */
static struct sv_proc *
spawn_worker(struct sv_service *s)
{
	struct sv_service *store = sv_role(ROLE_STORE);
	struct sv_service *auth = s->auth ? sv_role(ROLE_AUTH) : NULL;
	unsigned nst = store != NULL ? store->nslots : 0;
	int pairs[2 + CLOISTER_MAX_SHARDS][2];   /* control, auth, shards */
	size_t np = 2 + nst;
	for (size_t i = 0; i < np; i++) {
		pairs[i][0] = pairs[i][1] = -1;
		if ((i != 1 || auth != NULL) && socketpair(AF_UNIX,
		    SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pairs[i]) < 0) {
			log_err("%s: socketpair: %m", s->cfg.name);
			close_pairs(pairs, i + 1);
			return NULL;
		}
	}
	int fds[SV_NFDS];
	for (int i = 0; i < SV_NFDS; i++)
		fds[i] = -1;
	fds[CLOISTER_FD_LOG] = sv.log_fd;
	fds[CLOISTER_FD_STATS] = s->slot[0].stats_w;
	fds[CLOISTER_FD_CONTROL] = pairs[0][1];
	fds[CLOISTER_FD_AUTH] = pairs[1][1];
	for (unsigned i = 0; i < nst; i++)
		fds[CLOISTER_FD_STORE(i)] = pairs[2 + i][1];
	uint64_t inst = sv.next_instance++;
	pid_t pid = sv_spawn(s, inst, -1, fds, SV_NFDS);
	for (size_t i = 0; i < np; i++)
		if (pairs[i][1] >= 0)
			close(pairs[i][1]);
	if (pid < 0) {
		log_err("%s: fork: %m", s->cfg.name);
		for (size_t i = 0; i < np; i++)
			if (pairs[i][0] >= 0)
				close(pairs[i][0]);
		return NULL;
	}
	fcntl(pairs[0][0], F_SETFL, O_NONBLOCK);
	for (unsigned i = 0; i < nst; i++)
		sv_wire_peer(store, i, s->cfg.name, inst, pairs[2 + i][0]);
	if (auth != NULL)
		sv_wire_peer(auth, 0, s->cfg.name, inst, pairs[1][0]);
	struct sv_proc *p = sv_proc_new(s, pid, inst, 0, pairs[0][0]);
	list_push(&s->idle, p);
	return p;
}

void
sv_pool_fill(struct sv_service *s)
{
	if (!sv_can_spawn(s))
		return;
	unsigned max = s->cfg.max_processes;
	unsigned want = s->busy.n >= max ? 0 : max - s->busy.n;
	if (want > s->cfg.spares)
		want = s->cfg.spares;
	for (int n = 0; s->idle.n < want; n++) {
		if (n == SV_SPAWN_BATCH) {
			sv.more_work = true;
			return;
		}
		if (spawn_worker(s) == NULL)
			return;
	}
}

void
sv_pool_retire_idle(struct sv_service *s)
{
	struct sv_proc *p;
	while ((p = s->idle.head) != NULL) {
		list_del(&s->idle, p);
		p->retiring = true;
		list_push(&s->busy, p);
		sv_proc_retire(p, SIGKILL);
	}
}

/* ---- accepting ---- */

static int
send_conn(struct sv_proc *p, unsigned li, int fd,
    const struct sockaddr_storage *peer, socklen_t plen)
{
	static struct buf b = BUF_INIT(512);
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0)
		llen = 0;
	buf_reset(&b);
	ipc_put_u32(&b, li);
	ipc_put_bytes(&b, peer, plen);
	ipc_put_bytes(&b, &local, llen);
	if (p->svc->auth)
		sv_wire_client(p->instance, (const struct sockaddr *)peer, plen);
	return ipc_send(p->ctl, IPC_CTL_CONN, 0, 0, &b, fd);
}

static void
handoff(struct sv_service *s, unsigned li, int fd,
    const struct sockaddr_storage *peer, socklen_t plen)
{
	uint8_t key[17];
	bool has_ip = ip_key(peer, key);
	if (s->busy.n >= s->cfg.max_processes || (has_ip && s->cfg.max_per_ip &&
	    ip_count(s, key) >= s->cfg.max_per_ip))
		goto refuse;
	for (int tries = 0; tries < 4; tries++) {
		struct sv_proc *p = s->idle.head;
		if (p == NULL && sv_can_spawn(s))
			p = spawn_worker(s);
		if (p == NULL)
			break;
		list_del(&s->idle, p);
		list_push(&s->busy, p);
		if (send_conn(p, li, fd, peer, plen) < 0) {
			/* died before it was reaped: the next one */
			sv_proc_retire(p, SIGKILL);
			continue;
		}
		p->busy = true;
		close(p->ctl);   /* a busy worker hears nothing more from us */
		p->ctl = -1;
		if (has_ip) {
			p->has_ip = true;
			memcpy(p->ip, key, sizeof(key));
			unsigned b = ip_bucket(key);
			p->inext = s->ipb[b];
			s->ipb[b] = p;
		}
		close(fd);
		return;
	}
refuse:
	s->refusals++;
	close(fd);
}

void
sv_pool_accept(struct sv_service *s, unsigned li)
{
	struct sv_listener *l = &s->lst[li];
	for (int n = 0; n < SV_ACCEPT_BATCH && l->fd >= 0; n++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &plen,
		    SOCK_CLOEXEC);
		if (fd >= 0) {
			handoff(s, li, fd, &peer, plen);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			/* out of fds: stop accepting for a moment instead of
			 * spinning on a listener that stays readable */
			log_warn("%s: accept: %m; pausing listeners 100 ms",
			    s->cfg.name);
			sv.accept_pause = sv_now() + 100;
		}
		return;
	}
}

/* Listeners are polled unless a transient condition (backoff, a peer
 * restarting) leaves nothing to serve with: then clients wait in the
 * backlog instead of being refused. A held service refuses at once. */
void
sv_pool_sync_listeners(struct sv_service *s)
{
	bool want = !sv.stopping && sv_now() >= sv.accept_pause &&
	    s->state < SV_STOPPING &&
	    !(s->idle.n == 0 && (s->state == SV_BACKOFF || sv_deps(s) == 1));
	for (size_t i = 0; i < s->nlst; i++) {
		struct sv_listener *l = &s->lst[i];
		if (l->fd < 0 || l->polled == want)
			continue;
		sv_epoll(want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, l->fd, &l->w,
		    EPOLLIN);
		l->polled = want;
	}
}
