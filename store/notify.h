/*
 * notify: STORE_NOTIFY for IMAP IDLE and JMAP push. A channel watches one
 * mailbox or all of its user's; changes are recorded here as they are made
 * and pushed after the turn's commit (push.h), one record per mailbox and
 * watcher, never to the channel that made the change.
 */
#ifndef CLOISTER_STORE_NOTIFY_H
#define CLOISTER_STORE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct udb;
struct chan;
struct user;

/* The "mailbox" of a change to the user's push subscriptions (the
 * per-user object NOTIFY_PUSHSUB_KEY): announced to push watchers only
 * (STORE_PUSH_EVENT kind 4, so that pushd sends a new subscription its
 * verification), never to a user's own watchers, for whom it is no JMAP
 * type's change. */
#define NOTIFY_PUSHSUB (-1)
#define NOTIFY_PUSHSUB_KEY "jmap.pushsub"     /* jmap_pushsub.h's key */

/* Mailbox id of user d->u changed by origin (may be NULL). */
void notify_changed(struct udb *d, int64_t mailbox_id, struct chan *origin);
/* The same for a user whose database is not at hand (the outbox). */
void notify_user_changed(struct user *u, int64_t mailbox_id,
    struct chan *origin);
/* The changes recorded this turn (push.c sends them after the commit),
 * then forget them. */
struct notify_change {
	struct user *u;
	int64_t mailbox;
	struct chan *origin;       /* NULL: several channels changed it */
};
const struct notify_change *notify_changes(size_t *n);
void notify_changes_clear(void);
int notify_watch(struct chan *ch, uint64_t mailbox_id, bool on);
void notify_unwatch(struct chan *ch);
/* The push right's watch (cloister-pushd): ch hears STORE_PUSH_EVENT for
 * every change of every user of the shard, its own or not. At most
 * NOTIFY_PUSH_MAX channels (one pushd, and its successor while the old
 * channel closes); -1 when full. */
#define NOTIFY_PUSH_MAX 4
int notify_push_watch(struct chan *ch, bool on);
void notify_push_unwatch(struct chan *ch);
/* The push watchers (NULL slots skipped). */
struct chan *const *notify_push_watchers(size_t *n);

/* Forget pending changes of a user being deleted. */
void notify_forget_user(struct user *u);

#endif
