/* store_chan: a fresh channel to a restarted store shard for submitd
 * (docs/submitd.md, "What a crash may repeat"). A stored that dies takes
 * submitd's channel with it; submitd may hold a result the store must
 * hear (the relay said 250 and the report did not arrive). It asks with
 * CTL_STORE_ASK (u32 shard; compared with what each shard's ask would be,
 * not decoded) and gets CTL_STORE_CHAN: an errno and, when 0, its end of
 * a new socketpair whose other end went to that stored as CTL_PEER, as at
 * spawn. One channel per stored instance and submitd: a submitd cannot
 * pile up channels (EAGAIN while its shard's process is the one it has a
 * channel to), and asks beyond a rate get it killed. */
#include "sv.h"
#include "buf.h"
#include "ipc.h"

#define ASKS_PER_S 50     /* a submitd waits 100 ms between asks */

static bool
is_ask(const uint8_t *rec, size_t n, uint32_t shard)
{
	static struct buf b = BUF_INIT(16);
	buf_reset(&b);
	return ipc_put_u32(&b, shard) >= 0 &&
	    ipc_is_exact(rec, n, IPC_CTL_STORE_ASK, b.data, b.len);
}

bool
sv_store_ask_record(const uint8_t *rec, size_t n, unsigned *shard)
{
	struct sv_service *store = sv_role(ROLE_STORE);
	for (unsigned i = 0; store != NULL && i < store->nslots; i++)
		if (is_ask(rec, n, i)) {
			*shard = i;
			return true;
		}
	return false;
}

static void
answer(struct sv_proc *p, int err, int fd)
{
	static struct buf b = BUF_INIT(16);
	buf_reset(&b);
	ipc_put_u32(&b, (uint32_t)err);
	if (ipc_send(p->ctl, IPC_CTL_STORE_CHAN, 0, 0, &b, err == 0 ? fd : -1) < 0)
		log_warn("%s: CTL_STORE_CHAN: %m", p->svc->cfg.name);
}

/* The errno to answer, or 0 with *fd submitd's end of a new channel. */
static int
make_channel(struct sv_proc *p, unsigned shard, int *fd)
{
	struct sv_service *store = sv_role(ROLE_STORE);
	struct sv_proc *sp = store != NULL ? store->slot[shard].proc : NULL;
	/* (re)starting, or the one submitd has a channel to: it saw the
	 * channel close before we reaped that stored. Ask again. */
	if (sp == NULL || !sp->ready || p->store_instance[shard] == sp->instance)
		return EAGAIN;
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return errno;
	sv_wire_peer(store, shard, p->svc->cfg.name, p->instance, 0, pair[0]);
	p->store_instance[shard] = sp->instance;
	*fd = pair[1];
	return 0;
}

void
sv_store_ask(struct sv_proc *p, unsigned shard)
{
	int64_t sec = sv_now() / 1000;
	if (p->store_ask_at != sec) {
		p->store_ask_at = sec;
		p->store_asks = 0;
	}
	if (++p->store_asks > ASKS_PER_S) {
		char who[SV_WHO_MAX];
		sv_proc_who(p, who);
		log_warn("%s: floods CTL_STORE_ASK; killing it", who);
		kill(p->pid, SIGKILL);
		return;
	}
	int fd = -1;
	int err = make_channel(p, shard, &fd);
	answer(p, err, fd);
	if (fd >= 0)
		close(fd);
}

void
sv_store_chan_spawned(struct sv_proc *p)
{
	struct sv_service *store = sv_role(ROLE_STORE);
	for (unsigned i = 0; store != NULL && i < store->nslots; i++)
		p->store_instance[i] = store->slot[i].proc != NULL ?
		    store->slot[i].proc->instance : 0;
}
