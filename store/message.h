/*
 * message: the messages of a mailbox — append (and delivery), metadata by
 * UID, bodies as read-only fds, flags with UNCHANGEDSINCE, copy, move,
 * expunge, changes since a modseq. The store never parses message text:
 * everything it knows about a message came typed from the worker.
 */
#ifndef CLOISTER_STORE_MESSAGE_H
#define CLOISTER_STORE_MESSAGE_H

#include <stdbool.h>
#include <stdint.h>

struct udb;
struct mbox;
struct uidset;
struct req;

/* Remove the messages of mb that are in set (NULL = all) and, if
 * only_deleted, carry \Deleted: tombstones, counters, quota, blob
 * references (files unlinked after the commit). UIDs removed go to out
 * (may be NULL). Within a write; modseq is the request's. */
int message_expunge(struct udb *d, struct mbox *mb, const struct uidset *set,
    bool only_deleted, uint64_t modseq, struct uidset *out);

/* Append the memfd of r (fields already decoded) to mb. A delivery
 * (the delivery right) keeps only the flags and keywords delivery.h
 * allows and replies with no field (no UID, thread or hash). */
int message_append(struct req *r, struct mbox *mb, uint64_t size,
    uint32_t metalen, bool delivery);

#endif
