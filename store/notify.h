/*
 * notify: STORE_NOTIFY for IMAP IDLE and JMAP push. A channel watches one
 * mailbox or all of its user's; changes are recorded as they are made and
 * pushed after the turn's commit, one record per mailbox and watcher,
 * never to the channel that made the change. A watcher whose socket is
 * full keeps the mailbox pending and gets the latest state when it drains.
 */
#ifndef CLOISTER_STORE_NOTIFY_H
#define CLOISTER_STORE_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

struct udb;
struct chan;
struct user;

/* Mailbox id of user d->u changed by origin (may be NULL). */
void notify_changed(struct udb *d, int64_t mailbox_id, struct chan *origin);
/* After db_commit_all(): push the turn's changes. */
void notify_flush(void);
/* A channel's socket drained: send what it missed. */
void notify_retry(struct chan *ch);
int notify_watch(struct chan *ch, uint64_t mailbox_id, bool on);
void notify_unwatch(struct chan *ch);
/* Forget pending changes of a user being deleted. */
void notify_forget_user(struct user *u);

#endif
