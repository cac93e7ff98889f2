/*
 * push: sends the STORE_NOTIFY records of the changes notify.c recorded,
 * after the turn's commit. A watcher whose socket is full (or that has a
 * reply pending) keeps the mailbox pending and gets the latest state when
 * it drains. In the channel layer: it writes to channels.
 */
#ifndef CLOISTER_STORE_PUSH_H
#define CLOISTER_STORE_PUSH_H

#include <stddef.h>

struct chan;

/* After db_commit_all(): push the turn's changes. */
void push_flush(void);
/* STORE_PUSH_EVENT to the push watchers for the turn's
 * changes (one per user and kind). */
struct notify_change;
void push_sub_events(const struct notify_change *chg, size_t n);
/* A channel's socket drained: send what it missed. */
void push_retry(struct chan *ch);

#endif
