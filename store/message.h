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
struct delivery_set;

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
/* A delivery into mb with set's flags and keywords (STORE_DELIVER_TO). */
int message_deliver_flags(struct req *r, struct mbox *mb, uint64_t size,
    uint32_t metalen, const struct delivery_set *set);
/* The same with the message's size bytes read from src (from offset 0)
 * and the metadata block at meta_off of r's memfd, its last bytes
 * (STORE_BLOB_APPEND: src is a file of the user's already). */
int message_append_from(struct req *r, struct mbox *mb, int src,
    uint64_t size, uint64_t meta_off, uint32_t metalen, bool delivery);

/* The same for one message of a migration batch: its bytes at off in the
 * fd, metadata after them, and the UID the source gave it (0: the next).
 * A UID below the mailbox's UIDNEXT is refused (EXISTS); UIDNEXT becomes
 * uid + 1. A keyword the user's full table cannot take is left out (and
 * counted) rather than fail the batch. Writes no reply; out says what it
 * made. */
struct append_at {
	uint64_t off, size;
	uint32_t metalen;
	uint32_t uid;
	bool delivery;
	bool batch;                 /* the fd holds more than this message */
	bool from_src;              /* the bytes are src's (offset 0), the
	                             * metadata at meta_off of the memfd */
	int src;
	uint64_t meta_off;
	const struct delivery_set *set;  /* a delivery's own flags (or NULL) */
};
struct append_done {
	uint32_t kw_dropped;        /* a batch's: keywords past a full table
	                             * (the caller zeroes it) */
	uint32_t uid;
	uint64_t modseq;
	int64_t thread;
	uint8_t hash[STORE_BLOBID_LEN];
};
/* The reply to a body request: u64 size, bytes hash, the file's fd. */
int message_body(struct req *r, uint64_t mailbox_id, uint32_t uid);

int message_append_at(struct req *r, struct mbox *mb,
    const struct append_at *a, struct append_done *out);

#endif
