/* notify: changes recorded for watching channels (see notify.h). */
#include "notify.h"
#include "chan.h"
#include "db.h"
#include "user.h"

#include <stdlib.h>
#include <string.h>

static struct notify_change *chg;
static size_t nchg, capchg;
static struct chan *push_watchers[NOTIFY_PUSH_MAX];
static size_t npush;

void
notify_changed(struct udb *d, int64_t mailbox_id, struct chan *origin)
{
	notify_user_changed(d->u, mailbox_id, origin);
}

void
notify_user_changed(struct user *u, int64_t mailbox_id, struct chan *origin)
{
	if (u->watchers == NULL && npush == 0)
		return;      /* nobody listens: the common case costs nothing */
	for (size_t i = 0; i < nchg; i++)
		if (chg[i].u == u && chg[i].mailbox == mailbox_id) {
			if (chg[i].origin != origin)
				chg[i].origin = NULL;
			return;
		}
	if (nchg == capchg) {
		size_t ncap = capchg ? capchg * 2 : 16;
		struct notify_change *n = realloc(chg, ncap * sizeof(*n));
		if (n == NULL)
			return;      /* a lost wake-up, not lost mail */
		chg = n;
		capchg = ncap;
	}
	chg[nchg++] = (struct notify_change){ u, mailbox_id, origin };
}

const struct notify_change *
notify_changes(size_t *n)
{
	*n = nchg;
	return chg;
}

void
notify_changes_clear(void)
{
	nchg = 0;
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

int
notify_push_watch(struct chan *ch, bool on)
{
	if (!on || ch->push_watch) {
		if (!on)
			notify_push_unwatch(ch);
		return 0;
	}
	for (size_t i = 0; i < NOTIFY_PUSH_MAX; i++)
		if (push_watchers[i] == NULL) {
			push_watchers[i] = ch;
			ch->push_watch = true;
			npush++;
			return 0;
		}
	return -1;
}

void
notify_push_unwatch(struct chan *ch)
{
	for (size_t i = 0; ch->push_watch && i < NOTIFY_PUSH_MAX; i++)
		if (push_watchers[i] == ch) {
			push_watchers[i] = NULL;
			ch->push_watch = false;
			npush--;
		}
}

struct chan *const *
notify_push_watchers(size_t *n)
{
	*n = npush ? NOTIFY_PUSH_MAX : 0;
	return push_watchers;
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
