/* wire: the control channels to authd and the stored shards — the ticket
 * key, and CTL_PEER / CTL_CLIENT records, queued when a peer is slow so
 * that the supervisor never blocks. */
#include "sv.h"
#include "ipc.h"

#include <sys/mman.h>
#include <sys/random.h>

#define KEY_PAGE 4096
#define QUEUE_MAX 65536   /* messages; a peer this far behind is wedged */

/* The key lives in one page: locked (never swapped), left out of core
 * dumps, and wiped in children at fork — it reaches authd and stored only
 * as CTL_KEY, never another process's memory. */
int
sv_key_init(void)
{
	sv.key = mmap(NULL, KEY_PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sv.key == MAP_FAILED ||   /* the caller dies: no wipe at exit */
	    madvise(sv.key, KEY_PAGE, MADV_WIPEONFORK) < 0 ||
	    madvise(sv.key, KEY_PAGE, MADV_DONTDUMP) < 0)
		return -1;
	if (mlock(sv.key, KEY_PAGE) < 0)
		log_warn("mlock of the ticket key: %m");
	return getrandom(sv.key, SV_KEY_SIZE, 0) == SV_KEY_SIZE ? 0 : -1;
}

/* A new authd or stored (its channel is watched for room since
 * sv_proc_new): send the key, the first record on a fresh channel, which
 * cannot find the socket full. */
void
sv_wire_key(struct sv_proc *p)
{
	struct buf b = BUF_INIT(64);
	ipc_put_u32(&b, IPC_VERSION);
	ipc_put_bytes(&b, sv.key, SV_KEY_SIZE);
	if (ipc_send(p->ctl, IPC_CTL_KEY, 0, 0, &b, -1) < 0) {
		log_err("%s: sending the key: %m", p->svc->cfg.name);
		sv_proc_retire(p, SIGKILL);
	}
	buf_free_secret(&b);
}

void
sv_wire_drop(struct sv_slot *sl)
{
	for (struct sv_qmsg *m; (m = sl->qhead) != NULL; free(m)) {
		sl->qhead = m->next;
		if (m->fd >= 0)
			close(m->fd);
	}
	sl->qlen = 0;
}

/* Send now if nothing waits, else queue; fd (if any) is ours to close. */
static void
wire_send(struct sv_service *ps, unsigned slot, uint32_t type,
    const struct buf *b, int fd)
{
	struct sv_slot *sl = &ps->slot[slot];
	struct sv_proc *p = sl->proc;
	if (b->failed || b->len > sizeof(sl->qhead->payload) || p == NULL ||
	    p->ctl < 0)
		goto drop;
	/* sent (the peer has its own copy), or the peer is gone (reaping
	 * follows): no queueing */
	if (sl->qlen == 0 && (ipc_send(p->ctl, type, 0, 0, b, fd) == 0 ||
	    errno != EAGAIN))
		goto drop;
	struct sv_qmsg *m = sl->qlen < QUEUE_MAX ? calloc(1, sizeof(*m)) : NULL;
	if (m != NULL) {
		*m = (struct sv_qmsg){ NULL, type, (uint32_t)b->len, fd, { 0 } };
		memcpy(m->payload, b->data, b->len);
		*(sl->qlen++ == 0 ? &sl->qhead : &sl->qtail->next) = m;
		sl->qtail = m;
		return;
	}
	log_err("%s: control channel wedged (%u queued), restarting it",
	    ps->cfg.name, sl->qlen);
	sv_proc_retire(p, SIGKILL);
	sv_wire_drop(sl);
drop:
	if (fd >= 0)
		close(fd);
}

/* Room in a peer's channel, or its end: then a send fails, and the queue
 * goes with it. */
void
sv_wire_flush(struct sv_service *s, unsigned slot)
{
	struct sv_slot *sl = &s->slot[slot];
	for (struct sv_qmsg *m; (m = sl->qhead) != NULL; free(m)) {
		if (sl->proc == NULL || sl->proc->ctl < 0) {
			sv_wire_drop(sl);
			return;
		}
		if (ipc_send_raw(sl->proc->ctl, m->type, 0, 0, m->payload, m->len,
		    m->fd) < 0) {
			if (errno != EAGAIN)
				sv_wire_drop(sl);
			return;
		}
		if (m->fd >= 0)
			close(m->fd);
		sl->qhead = m->next;
		sl->qlen--;
	}
}

void
sv_wire_peer(struct sv_service *ps, unsigned slot, const char *name,
    uint64_t instance, uint32_t flags, int fd)
{
	static struct buf b = BUF_INIT(128);
	buf_reset(&b);
	ipc_put_str(&b, name);
	ipc_put_u64(&b, instance);
	ipc_put_u32(&b, flags);
	wire_send(ps, slot, IPC_CTL_PEER, &b, fd);
}

void
sv_wire_client(uint64_t instance, const struct sockaddr *sa, socklen_t len)
{
	static struct buf b = BUF_INIT(128);
	struct sv_service *auth = sv_role(ROLE_AUTH);
	if (auth == NULL)
		return;
	buf_reset(&b);
	ipc_put_u64(&b, instance);
	ipc_put_bytes(&b, sa, len);
	wire_send(auth, 0, IPC_CTL_CLIENT, &b, -1);
}
