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
#include <stdlib.h>
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
list_push_front(struct sv_list *l, struct sv_proc *p)
{
	p->prev = NULL;
	p->next = l->head;
	if (l->head != NULL)
		l->head->prev = p;
	else
		l->tail = p;
	l->head = p;
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
	key[0] = 6;         /* v6 listeners are V6ONLY: no mapped v4 here */
	memcpy(key + 1, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
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
	list_del(p->pid == 0 ? &s->pending : p->busy || p->retiring ? &s->busy :
	    &s->idle, p);
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
close_side(int (*pairs)[2], size_t n, int side)
{
	for (size_t i = 0; i < n; i++)
		if (pairs[i][side] >= 0)
			close(pairs[i][side]);
}

/* One connection worker: its control channel, one channel per store
 * shard, one to authd if the service has 'set auth yes'. The peer ends go
 * to stored/authd as CTL_PEER before the worker can say anything. */
static struct sv_proc *
spawn_worker(struct sv_service *s, struct sv_proc *rec)
{
	struct sv_service *store = sv_role(ROLE_STORE);
	struct sv_service *auth = s->auth ? sv_role(ROLE_AUTH) : NULL;
	unsigned nst = store != NULL ? store->nslots : 0;
	int pairs[1 + CLOISTER_MAX_SHARDS][2];   /* auth, shards */
	size_t np = 1 + nst;
	int fds[SV_NFDS], ctl;
	memset(fds, 0xff, sizeof(fds));   /* all -1 */
	for (size_t i = 0; i < np; i++) {
		pairs[i][0] = pairs[i][1] = -1;
		if ((i != 0 || auth != NULL) && socketpair(AF_UNIX,
		    SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pairs[i]) < 0) {
			np = i;
			goto fail;
		}
		fds[i == 0 ? CLOISTER_FD_AUTH : CLOISTER_FD_STORE(i - 1)] =
		    pairs[i][1];
	}
	fds[CLOISTER_FD_STATS] = s->slot[0].stats_w;
	uint64_t inst = sv.next_instance++;
	pid_t pid = sv_spawn(s, inst, -1, fds, &ctl);
	if (pid < 0)
		goto fail;
	close_side(pairs, np, 1);
	for (unsigned i = 0; i < nst; i++)
		sv_wire_peer(store, i, s->cfg.name, inst, pairs[1 + i][0]);
	if (auth != NULL)
		sv_wire_peer(auth, 0, s->cfg.name, inst, pairs[0][0]);
	return sv_proc_new(s, rec, pid, inst, 0, ctl);
fail:
	log_err("%s: spawn: %m", s->cfg.name);
	close_side(pairs, np, 0);
	close_side(pairs, np, 1);
	return NULL;
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
ip_link(struct sv_proc *p, const uint8_t key[17])
{
	struct sv_service *s = p->svc;
	p->has_ip = true;
	memcpy(p->ip, key, sizeof(p->ip));
	unsigned b = ip_bucket(key);
	p->inext = s->ipb[b];
	s->ipb[b] = p;
}

/* Give the client to worker p (just spawned or idle); it is busy from now
 * on, whatever happens. */
static bool
deliver(struct sv_proc *p, unsigned li, int fd,
    const struct sockaddr_storage *peer, socklen_t plen)
{
	struct sv_service *s = p->svc;
	list_push(&s->busy, p);
	if (send_conn(p, li, fd, peer, plen) < 0) {
		sv_proc_retire(p, SIGKILL);   /* died before it was reaped */
		return false;
	}
	p->busy = true;
	sv_close(&p->ctl);   /* a busy worker hears nothing more from us */
	return true;
}

static void
refuse(struct sv_service *s, int fd)
{
	s->refusals++;
	close(fd);
}

/* Waiting out a backoff or a peer's restart. */
static bool
transient(const struct sv_service *s)
{
	return !sv.stopping && (s->state == SV_BACKOFF ||
	    (s->state == SV_RUNNING && sv_deps(s) == 1));
}

/* Admit or refuse one accepted client. The accept path never forks: with
 * no idle worker the client waits in the pending list for the next spawn,
 * so that a burst is sorted (and refused) at accept speed. */
static void
admit(struct sv_service *s, unsigned li, int fd,
    const struct sockaddr_storage *peer, socklen_t plen)
{
	uint8_t key[17];
	bool has_ip = ip_key(peer, key);
	if (s->busy.n + s->pending.n >= s->cfg.max_processes || (has_ip &&
	    s->cfg.max_per_ip && ip_count(s, key) >= s->cfg.max_per_ip)) {
		refuse(s, fd);
		return;
	}
	struct sv_proc *p;
	while ((p = s->idle.head) != NULL) {
		list_del(&s->idle, p);
		if (deliver(p, li, fd, peer, plen)) {
			if (has_ip)
				ip_link(p, key);
			close(fd);
			return;
		}
	}
	/* no spare: wait for a spawn, unless the service cannot spawn for
	 * more than a moment (held, a peer held, stopping) */
	if ((!sv_can_spawn(s) && !transient(s)) ||
	    (p = calloc(1, sizeof(*p))) == NULL) {
		refuse(s, fd);
		return;
	}
	p->svc = s;
	p->ctl = -1;
	p->client = fd;
	p->listener = li;
	p->peer = *peer;
	p->peerlen = plen;
	/* an address with nothing else here goes first: a flood's waiting
	 * clients do not stand between a new client and the next worker */
	if (has_ip && ip_count(s, key) == 0)
		list_push_front(&s->pending, p);
	else
		list_push(&s->pending, p);
	if (has_ip)
		ip_link(p, key);
}

void
sv_pool_drop_pending(struct sv_service *s)
{
	struct sv_proc *p;
	while ((p = s->pending.head) != NULL) {
		sv_pool_forget(p);
		refuse(s, p->client);
		free(p);
	}
}

/* Pending clients first, then spares, a few spawns per turn. */
void
sv_pool_fill(struct sv_service *s)
{
	if (!sv_can_spawn(s)) {
		if (!transient(s))
			sv_pool_drop_pending(s);
		return;
	}
	unsigned max = s->cfg.max_processes, used = s->busy.n + s->pending.n;
	unsigned want = used >= max ? 0 : max - used;
	if (want > s->cfg.spares)
		want = s->cfg.spares;
	for (int n = 0; s->pending.n > 0 || s->idle.n < want; n++) {
		if (n == SV_SPAWN_BATCH) {
			sv.more_work = true;
			return;
		}
		struct sv_proc *rec = s->pending.head;
		if (rec != NULL)
			list_del(&s->pending, rec);
		struct sv_proc *p = spawn_worker(s, rec);
		if (p == NULL && rec != NULL) {
			list_push(&s->pending, rec);
			sv_pool_drop_pending(s);
		}
		if (p == NULL)
			return;
		if (rec == NULL) {
			list_push(&s->idle, p);
			continue;
		}
		if (deliver(p, p->listener, p->client, &p->peer, p->peerlen))
			close(p->client);
		else
			refuse(s, p->client);
		p->client = -1;
	}
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
			admit(s, li, fd, &peer, plen);
		} else if ((errno == EMFILE || errno == ENFILE) &&
		    sv.reserve_fd >= 0) {
			/* out of fds: spend the reserve on taking the client off
			 * the queue and closing it, rather than spin on a listener
			 * that stays readable */
			log_warn("%s: accept: %m; refusing", s->cfg.name);
			close(sv.reserve_fd);
			if ((fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
				refuse(s, fd);
			sv.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		} else if (errno != EINTR && errno != ECONNABORTED &&
		    errno != EPROTO) {
			return;
		}
	}
}
