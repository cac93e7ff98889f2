/*
 * snooze: emails that leave the inbox and come back at a chosen time (the
 * JMAP `snoozed` property, Cyrus's vendor extension). A user's snoozes are
 * rows of its own database (table `snooze`); the shard keeps, in its
 * registry, the earliest due time of each user that has any (table
 * `snooze_due`), and one timerfd armed at the earliest of those. When it
 * fires stored itself wakes the due emails: their copies in a \Snoozed
 * mailbox move to the snooze's mailbox (INBOX when none, or when that
 * mailbox is gone) through the normal MOVE path, the snooze's flags are
 * added and removed on every copy, and the row goes.
 *
 * The index is a hint that only errs early: a snooze is noted there
 * before its row is committed (all of a turn's notes in one registry
 * transaction, just before the turn's commit), and a user's entry is lowered, raised or
 * removed only after the turn's commit, from the committed rows. So a
 * kill -9 at any moment loses no wake-up; one due while stored was down
 * runs at start (the timer, armed in the past, fires at once).
 */
#ifndef CLOISTER_STORE_SNOOZE_H
#define CLOISTER_STORE_SNOOZE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct req;
struct udb;
struct user;

/* snooze.c: the requests (ticket: the channel's own user only). */
int h_snooze_set(struct req *r);
int h_snooze_get(struct req *r);
/* Wake the snoozes of d due at now (within a write); *more set when
 * some were left for the next round. 0 or a negative IPC error. */
int snooze_wake_due(struct user *u, struct udb *d, int64_t now, bool *more);
/* The earliest until of the user's committed snoozes; 0 when none,
 * -1 on error. */
int64_t snooze_next(struct udb *d);

/* snooze_due.c: the shard's index and its timer. */
/* After registry_open: the index's table, the timerfd on ep, armed. */
void snooze_due_init(int ep);
/* Now, in unix seconds, by the clock the timer runs on. */
time_t snooze_now(void);
/* The epoll tag of the timer (data.ptr of its event). */
void *snooze_due_tag(void);
/* The timer fired: wake the users whose snoozes are due. */
void snooze_due_fired(void);
/* User id has a snooze due at until (within the write that makes it;
 * 0 or -1), written to the index by snooze_due_before_commit. */
int snooze_due_note(uint64_t user_id, int64_t until);
/* At the end of the turn, before the users' commit: the turn's notes
 * into the index, in one transaction. */
void snooze_due_before_commit(void);
/* After the turn's commit: the index follows the users woken this
 * turn, and the timer is armed again. */
void snooze_due_after_commit(void);

#endif
