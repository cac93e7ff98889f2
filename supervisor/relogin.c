/* relogin: fresh authd and store channels for a connection worker whose
 * client logged out without closing the connection (ManageSieve
 * UNAUTHENTICATE, docs/managesieved.md). authd mints one ticket per
 * channel and stored binds a channel to its ticket's user for the
 * channel's life, so a second login on one connection needs new channels
 * — made here, as at a spawn, and announced to the peers under a new
 * instance number: no ticket minted for the old channels names it.
 *
 * The worker sends CTL_RELOGIN_ASK (a bare header, compared, not decoded)
 * on its control channel; only a service with 'set max-relogins N' may,
 * and only a logged-in busy worker is served. It gets CTL_RELOGIN: an
 * errno, and with 0 the worker ends of the new channels. It is then
 * counted before login again (max-prelogin), and `cloisterctl who` names
 * no user until authd reports the next login. At most max-relogins grants
 * per connection; asks beyond that and a few refused ones kill it. */
#include "sv.h"
#include "ipc.h"

/* Refused asks (EAGAIN, EDQUOT) a worker may repeat over its connection:
 * a worker that asks again and again is not the one we started. */
#define RELOGIN_REFUSED_MAX 16

static void
answer(struct sv_proc *p, uint32_t err, const int *fds, size_t nfds)
{
	static struct buf b = BUF_INIT(64);
	buf_reset(&b);
	ipc_put_u32(&b, err);
	if (ipc_send_fds(p->ctl, IPC_CTL_RELOGIN, 0, 0, b.data, b.len, fds,
	    nfds) < 0) {
		char who[SV_WHO_MAX];
		sv_proc_who(p, who);
		log_warn("%s: CTL_RELOGIN: %m; killing it", who);
		kill(p->pid, SIGKILL);
	}
}

/* Whether p may have fresh channels now: 0, or the errno to answer. */
static int
refusal(const struct sv_proc *p)
{
	const struct sv_service *s = p->svc;
	if (p->relogins >= s->max_relogins)
		return EDQUOT;
	/* logged in, as authd reported: a worker before login has fresh
	 * channels already */
	if (!p->busy || p->retiring || p->prelogin || !p->has_user ||
	    sv_ready(s) != SV_NOW || sv_pool_prelogin_full(s))
		return EAGAIN;
	return 0;
}

/* The new channels: peers get their ends as CTL_PEER (then authd the
 * client's address), p its ends. 0, or an errno (nothing sent). */
static int
grant(struct sv_proc *p, struct sv_service *store, struct sv_service *auth,
    uint64_t inst)
{
	struct sv_service *s = p->svc;
	int pairs[1 + CLOISTER_MAX_SHARDS][2], mine[1 + CLOISTER_MAX_SHARDS];
	size_t n = 1 + store->nslots;
	for (size_t i = 0; i < n; i++)
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    pairs[i]) < 0) {
			int err = errno;
			for (size_t k = 0; k < i; k++) {
				close(pairs[k][0]);
				close(pairs[k][1]);
			}
			return err;
		}
	for (size_t i = 0; i < n; i++)
		mine[i] = pairs[i][1];
	for (unsigned i = 0; i < store->nslots; i++)
		sv_wire_peer(store, i, s->cfg.name, inst, 0, pairs[1 + i][0]);
	sv_wire_peer(auth, 0, s->cfg.name, inst, s->deliver ?
	    IPC_CTL_PEER_DELIVERY : 0, pairs[0][0]);
	sv_wire_client(inst, (const struct sockaddr *)&p->peer, p->peerlen);
	answer(p, 0, mine, n);
	for (size_t i = 0; i < n; i++)   /* the worker has them, or is dying */
		close(mine[i]);
	return 0;
}

void
sv_relogin_ask(struct sv_proc *p)
{
	struct sv_service *s = p->svc;
	char who[SV_WHO_MAX];
	sv_proc_who(p, who);
	if (++p->relogin_asks > s->max_relogins + RELOGIN_REFUSED_MAX) {
		log_warn("%s: %u CTL_RELOGIN_ASKs on one connection; killing it",
		    who, p->relogin_asks);
		kill(p->pid, SIGKILL);
		return;
	}
	struct sv_service *store = sv_role(ROLE_STORE);
	struct sv_service *auth = sv_role(ROLE_AUTH);
	int err = refusal(p);
	if (err == 0 && (store == NULL || auth == NULL))
		err = EAGAIN;
	uint64_t inst = sv.next_instance;
	if (err == 0 && (err = grant(p, store, auth, inst)) == 0) {
		sv.next_instance++;
		p->relogins++;
		p->instance = inst;
		sv_pool_prelogin_again(p);
		log_info("%s: re-login %u of %u: fresh channels as instance %llu",
		    who, p->relogins, s->max_relogins, (unsigned long long)inst);
		return;
	}
	log_info("%s: re-login refused: %s", who, err == EDQUOT ?
	    "its connection's re-logins are used up" : strerror(err));
	answer(p, (uint32_t)err, NULL, 0);
}
