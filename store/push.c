/* push: STORE_NOTIFY records to watching channels (see push.h). */
#include "push.h"
#include "chan.h"
#include "db.h"
#include "ipc.h"
#include "mailbox.h"
#include "notify.h"
#include "user.h"

#include "log.h"

#include <string.h>

#define PUSH_EVENT_MAIL 1u          /* STORE_PUSH_EVENT kinds */
#define PUSH_EVENT_OBJECTS 2u
#define PUSH_EVENT_SUBSCRIPTIONS 4u

/* The NOTIFY payload for a mailbox as it is now. */
static int
payload(struct user *u, int64_t mailbox, struct buf *b)
{
	struct udb *d = user_db(u);
	struct mbox mb;
	if (d == NULL)
		return -1;
	int rc = mailbox_by_id(d, mailbox, &mb);
	if (rc < 0)
		return -1;
	buf_reset(b);
	ipc_put_u64(b, (uint64_t)mailbox);
	ipc_put_u64(b, rc == 0 ? mb.modseq : d->modseq);
	ipc_put_u32(b, rc == 0 ? mb.messages : 0);
	ipc_put_u32(b, rc == 0 ? mb.uidnext : 0);
	ipc_put_u64(b, d->modseq);
	return 0;
}

static void
pend(struct chan *ch, int64_t mailbox)
{
	for (unsigned i = 0; i < ch->nnotify; i++)
		if (ch->notify_pending[i] == (uint64_t)mailbox)
			return;
	if (ch->nnotify == CHAN_NOTIFY_PENDING) {
		memmove(&ch->notify_pending[0], &ch->notify_pending[1],
		    sizeof(ch->notify_pending[0]) * (CHAN_NOTIFY_PENDING - 1));
		ch->nnotify--;
	}
	ch->notify_pending[ch->nnotify++] = (uint64_t)mailbox;
	chan_queue_flush(ch);
}

static bool
wants(const struct chan *ch, int64_t mailbox)
{
	return ch->watch_all || ch->watch_mbox == (uint64_t)mailbox;
}

void
push_flush(void)
{
	static struct buf b = BUF_INIT(256);
	size_t n;
	const struct notify_change *chg = notify_changes(&n);
	for (size_t i = 0; i < n; i++) {
		const struct notify_change *c = &chg[i];
		if (c->u->watchers == NULL || c->mailbox == NOTIFY_PUSHSUB ||
		    payload(c->u, c->mailbox, &b) < 0)
			continue;
		for (struct chan *w = c->u->watchers, *next; w != NULL; w = next) {
			next = w->wnext;     /* a failed send unlinks w */
			if (w == c->origin || !wants(w, c->mailbox))
				continue;
			/* behind a reply, or the socket is full: later */
			if (w->out != NULL || w->nnotify > 0 ||
			    !chan_send_now(w, IPC_STORE_NOTIFY, &b))
				pend(w, c->mailbox);
		}
	}
	push_sub_events(chg, n);
	notify_changes_clear();
}

void
push_retry(struct chan *ch)
{
	static struct buf b = BUF_INIT(256);
	while (ch->nnotify > 0 && ch->user != NULL && !ch->dead) {
		int64_t mailbox = (int64_t)ch->notify_pending[0];
		if (payload(ch->user, mailbox, &b) == 0 &&
		    !chan_send_now(ch, IPC_STORE_NOTIFY, &b))
			return;
		memmove(&ch->notify_pending[0], &ch->notify_pending[1],
		    sizeof(ch->notify_pending[0]) * (CHAN_NOTIFY_PENDING - 1));
		ch->nnotify--;
	}
}

static unsigned
event_kind(int64_t mailbox)
{
	return mailbox == NOTIFY_PUSHSUB ? PUSH_EVENT_SUBSCRIPTIONS :
	    mailbox == STORE_NOTIFY_OBJECTS ? PUSH_EVENT_OBJECTS :
	    PUSH_EVENT_MAIL;
}

/* Was (u, kind) already among the first i changes? */
static bool
seen_before(const struct notify_change *chg, size_t i, const struct user *u,
    unsigned kind)
{
	for (size_t j = 0; j < i; j++)
		if (chg[j].u == u && event_kind(chg[j].mailbox) == kind)
			return true;
	return false;
}

/* A pushd whose socket is full misses events (counted in the log): a
 * lost wake-up, never lost or exposed mail. */
void
push_sub_events(const struct notify_change *chg, size_t n)
{
	static struct buf b = BUF_INIT(STORE_USER_MAX + 64);
	static unsigned long missed;
	size_t nw;
	struct chan *const *w = notify_push_watchers(&nw);
	for (size_t i = 0; nw > 0 && i < n; i++) {
		unsigned kind = event_kind(chg[i].mailbox);
		struct udb *d = user_db(chg[i].u);
		if (d == NULL || seen_before(chg, i, chg[i].u, kind))
			continue;
		buf_reset(&b);
		ipc_put_str(&b, chg[i].u->name);
		ipc_put_u64(&b, d->modseq);
		ipc_put_u32(&b, kind);
		for (size_t k = 0; k < nw; k++) {
			if (w[k] == NULL || w[k]->dead || (w[k]->out == NULL &&
			    chan_send_now(w[k], IPC_STORE_PUSH_EVENT, &b)))
				continue;
			missed++;
			if ((missed & (missed - 1)) == 0)   /* 1, 2, 4, ... */
				log_warn("push: %lu events missed (pushd behind)",
				    missed);
		}
	}
}
