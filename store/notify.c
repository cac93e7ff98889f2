/* notify: STORE_NOTIFY to watching channels (see notify.h). */
#include "notify.h"
#include "chan.h"
#include "db.h"
#include "ipc.h"
#include "log.h"
#include "mailbox.h"
#include "user.h"

#include <stdlib.h>
#include <string.h>

struct changed {
	struct user *u;
	int64_t mailbox;
	struct chan *origin;       /* NULL: several channels changed it */
};

static struct changed *chg;
static size_t nchg, capchg;

void
notify_changed(struct udb *d, int64_t mailbox_id, struct chan *origin)
{
	if (d->u->watchers == NULL)
		return;      /* nobody listens: the common case costs nothing */
	for (size_t i = 0; i < nchg; i++)
		if (chg[i].u == d->u && chg[i].mailbox == mailbox_id) {
			if (chg[i].origin != origin)
				chg[i].origin = NULL;
			return;
		}
	if (nchg == capchg) {
		size_t ncap = capchg ? capchg * 2 : 16;
		struct changed *n = realloc(chg, ncap * sizeof(*n));
		if (n == NULL)
			return;      /* a lost wake-up, not lost mail */
		chg = n;
		capchg = ncap;
	}
	chg[nchg++] = (struct changed){ d->u, mailbox_id, origin };
}

/* The NOTIFY payload for a mailbox as it is now. */
static int
payload(struct user *u, int64_t mailbox, struct buf *b)
{
	struct udb *d = db_get(u);
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
notify_flush(void)
{
	static struct buf b = BUF_INIT(256);
	for (size_t i = 0; i < nchg; i++) {
		struct changed *c = &chg[i];
		if (c->u->watchers == NULL || payload(c->u, c->mailbox, &b) < 0)
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
	nchg = 0;
}

void
notify_retry(struct chan *ch)
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

int
notify_watch(struct chan *ch, uint64_t mailbox_id, bool on)
{
	struct user *u = ch->user;
	if (!on) {
		notify_unwatch(ch);
		return 0;
	}
	if (!ch->watching) {
		ch->wprev = NULL;
		ch->wnext = u->watchers;
		if (u->watchers)
			u->watchers->wprev = ch;
		u->watchers = ch;
		ch->watching = true;
	}
	ch->watch_all = mailbox_id == 0;
	ch->watch_mbox = mailbox_id;
	return 0;
}

void
notify_unwatch(struct chan *ch)
{
	if (!ch->watching)
		return;
	struct user *u = ch->user;
	if (ch->wprev)
		ch->wprev->wnext = ch->wnext;
	else
		u->watchers = ch->wnext;
	if (ch->wnext)
		ch->wnext->wprev = ch->wprev;
	ch->wprev = ch->wnext = NULL;
	ch->watching = false;
	ch->nnotify = 0;
}

void
notify_forget_user(struct user *u)
{
	size_t w = 0;
	for (size_t i = 0; i < nchg; i++)
		if (chg[i].u != u)
			chg[w++] = chg[i];
	nchg = w;
}
