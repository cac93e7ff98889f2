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

#include "store_proto.h"

struct udb;
struct mbox;
struct store_uids;
struct req;

/* The metadata block stored takes per message (option meta-max, up to
 * STORE_META_MAX): the workers' default limits (1 MiB of text, 1 MiB of
 * headers, 64 KiB per field) fit with room; the bytes are charged to the
 * user's quota with the message. */
#define META_DEFAULT_LEN (4u * 1024 * 1024)
extern uint32_t meta_max_len;

/* Remove the messages of mb that are in set (NULL = all) and, if
 * only_deleted, carry \Deleted: tombstones, counters, quota, blob
 * references (files unlinked after the commit). UIDs removed go to out
 * (may be NULL). Within a write; modseq is the request's. */
int message_expunge(struct udb *d, struct mbox *mb,
    const struct store_uids *set, bool only_deleted, uint64_t modseq,
    struct store_uids *out);

/* Append the memfd of r (fields already decoded) to mb. A delivery
 * (the delivery right) keeps only the flags and keywords delivery.h
 * allows and replies with no field (no UID, thread or hash). */
int message_append(struct req *r, struct mbox *mb, uint64_t size,
    uint32_t metalen, bool delivery);
/* The same with the message's size bytes read from src (from offset 0)
 * and the metadata block at meta_off of r's memfd, its last bytes
 * (STORE_BLOB_APPEND: src is a file of the user's already). */
int message_append_from(struct req *r, struct mbox *mb, int src,
    uint64_t size, uint64_t meta_off, uint32_t metalen, bool delivery);

#endif
