/* pool: pre-forked connection workers. The supervisor accepts; over the
 * global or per-IP limit the connection is closed at once and no worker is
 * spent; otherwise it goes to an idle worker as one CTL_CONN record. The
 * only input looked at is the peer address the kernel gave accept4(). */
#include "sv.h"
#include "ipc.h"

#include <arpa/inet.h>
#include <netinet/in.h>

/* Doubly linked lists with a count; front: insert at the head. */
static void
list_add(struct sv_list *l, struct sv_proc *p, bool front)
{
	p->prev = front ? NULL : l->tail;
	p->next = front ? l->head : NULL;
	*(p->prev != NULL ? &p->prev->next : &l->head) = p;
	*(p->next != NULL ? &p->next->prev : &l->tail) = p;
	l->n++;
}

static void
list_del(struct sv_list *l, struct sv_proc *p)
{
	*(p->prev != NULL ? &p->prev->next : &l->head) = p->next;
	*(p->next != NULL ? &p->next->prev : &l->tail) = p->prev;
	p->prev = p->next = NULL;
	l->n--;
}

/* ---- per-IP accounting: busy workers chained by client address ---- */

static bool
ip_key(const struct sockaddr_storage *ss, uint8_t key[17])
{
	memset(key, 0, 17);
	if (ss->ss_family == AF_INET)
		memcpy(key + 1, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)   /* V6ONLY: no mapped v4 here */
		memcpy(key + 1, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	else
		return false;   /* unix peers: the global limit only */
	key[0] = (uint8_t)ss->ss_family;
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

/* p no longer counts as a client before login. */
static void
prelogin_end(struct sv_proc *p)
{
	if (p->prelogin) {
		p->prelogin = false;
		p->svc->nprelogin--;
	}
}

void
sv_pool_forget(struct sv_proc *p)
{
	struct sv_service *s = p->svc;
	prelogin_end(p);
	list_del(p->pid == 0 ? &s->pending : p->busy || p->retiring ? &s->busy :
	    &s->idle, p);
	if (p->ip[0] == 0)
		return;   /* a unix peer */
	for (struct sv_proc **pp = &s->ipb[ip_bucket(p->ip)]; *pp != NULL;
	    pp = &(*pp)->inext)
		if (*pp == p) {
			*pp = p->inext;
			break;
		}
}

void
sv_pool_retire_idle(struct sv_service *s)
{
	struct sv_proc *p;
	while ((p = s->idle.head) != NULL) {
		list_del(&s->idle, p);
		list_add(&s->busy, p, false);
		sv_proc_retire(p, SIGKILL);
	}
}

/* Give the client to worker p (just spawned or idle) as one CTL_CONN:
 * listener index, peer and local address, the socket, which is closed here
 * once sent. p is busy from now on, whatever happens. */
static bool
deliver(struct sv_proc *p, unsigned li, int fd,
    const struct sockaddr_storage *peer, socklen_t plen)
{
	static struct buf b = BUF_INIT(512);
	list_add(&p->svc->busy, p, false);
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
	if (ipc_send(p->ctl, IPC_CTL_CONN, 0, 0, &b, fd) < 0) {
		sv_proc_retire(p, SIGKILL);   /* died before it was reaped */
		return false;
	}
	p->busy = true;
	if (peer != &p->peer)
		p->peer = *peer;
	p->peerlen = plen;
	sv_session_start(p, peer, plen);
	/* until authd says it logged in; a delivery worker (lmtpd asks authd
	 * about recipients only) never logs in and is no client before login */
	if (p->svc->auth && !p->svc->deliver && !p->prelogin) {
		p->prelogin = true;
		p->svc->nprelogin++;
	}
	/* a busy worker hears nothing more from us, but for CTL_RELOGIN
	 * where its service allows re-logins; until it is ready what it sends
	 * is still read, then its channel is closed (proc_ctl_read) */
	if (p->svc->max_relogins == 0)
		sv_proc_ctl_end(p, true);
	close(fd);
	return true;
}

static void
refuse(struct sv_service *s, int fd)
{
	s->refusals++;
	close(fd);
}

/* authd minted a ticket for instance: its client is past login. */
void
sv_pool_logged_in(uint64_t instance, const uint8_t *user, size_t ulen)
{
	for (struct sv_service *s = sv.services; s != NULL; s = s->next)
		for (struct sv_proc *p = s->busy.head; s->auth && p; p = p->next)
			if (p->instance == instance) {
				prelogin_end(p);
				sv_session_user(p, user, ulen);
				return;
			}
}

void
sv_pool_prelogin_again(struct sv_proc *p)
{
	if (!p->prelogin) {
		p->prelogin = true;
		p->svc->nprelogin++;
	}
	p->has_user = false;
	p->ulen = 0;
}

bool
sv_pool_prelogin_full(const struct sv_service *s)
{
	return s->cfg.max_prelogin != 0 &&
	    s->nprelogin + s->pending.n >= s->cfg.max_prelogin;
}

/* At max-prelogin, the oldest client that has not logged in makes room
 * for the new one (as Dovecot's login processes do): what clients before
 * login can hold is a bounded number of workers, whoever sends them. Its
 * worker is retired, so the kill is no failure of the service. */
static void
make_prelogin_room(struct sv_service *s)
{
	if (!s->auth || !sv_pool_prelogin_full(s))
		return;
	for (struct sv_proc *p = s->busy.head; p != NULL; p = p->next)
		if (p->prelogin && !p->retiring) {
			/* the worker is killed: its session's last line is ours */
			char who[SV_WHO_MAX], addr[INET6_ADDRSTRLEN] = "-";
			sv_proc_who(p, who);
			if (p->ip[0] != 0)
				inet_ntop(p->ip[0], p->ip + 1, addr, sizeof(addr));
			log_relay_note(who, LOG_LVL_INFO, "session end: user=-"
			    " client=%s reason=kicked max_prelogin=%u", addr,
			    s->cfg.max_prelogin);
			prelogin_end(p);
			s->prelogin_evictions++;
			sv_proc_retire(p, SIGKILL);
			return;
		}
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
	make_prelogin_room(s);
	if (s->busy.n + s->pending.n >= s->cfg.max_processes || (has_ip &&
	    s->cfg.max_per_ip && ip_count(s, key) >= s->cfg.max_per_ip)) {
		refuse(s, fd);
		return;
	}
	struct sv_proc *p;
	while ((p = s->idle.head) != NULL) {
		list_del(&s->idle, p);
		if (deliver(p, li, fd, peer, plen))
			goto admitted;
	}
	/* no spare: wait for a spawn, unless the service cannot spawn for
	 * more than a moment (held, a peer held, stopping) */
	if (sv_ready(s) == SV_NO || (p = calloc(1, sizeof(*p))) == NULL) {
		refuse(s, fd);
		return;
	}
	*p = (struct sv_proc){ .svc = s, .ctl = -1, .client = fd,
		.listener = li, .peer = *peer, .peerlen = plen };
	/* an address with nothing else here goes first: a flood's waiting
	 * clients do not stand between a new client and the next worker */
	list_add(&s->pending, p, has_ip && ip_count(s, key) == 0);
admitted:   /* counted against its address until it is reaped */
	memcpy(p->ip, key, sizeof(p->ip));
	if (has_ip) {
		p->inext = s->ipb[ip_bucket(key)];
		s->ipb[ip_bucket(key)] = p;
	}
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
	enum sv_ready r = sv_ready(s);
	if (r != SV_NOW) {
		if (r == SV_NO)
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
		struct sv_proc *p = sv_spawn(s, 0, rec);
		if (p == NULL) {
			sv_pool_drop_pending(s);
			return;
		}
		if (rec == NULL) {
			list_add(&s->idle, p, false);
		} else {
			list_del(&s->pending, p);
			if (!deliver(p, p->listener, p->client, &p->peer, p->peerlen))
				refuse(s, p->client);
		}
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
