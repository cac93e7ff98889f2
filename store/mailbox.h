/*
 * mailbox: a user's mailboxes — names and their hierarchy, UIDVALIDITY,
 * UIDNEXT, HIGHESTMODSEQ, counters kept in the same transaction as the
 * messages, subscriptions, special-use.
 */
#ifndef CLOISTER_STORE_MAILBOX_H
#define CLOISTER_STORE_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store_proto.h"

struct udb;
struct req;
struct buf;

struct mbox {
	int64_t id;
	char name[STORE_MBOX_NAME_MAX + 1];
	uint32_t uidvalidity, uidnext, use;
	uint64_t modseq, created_modseq, size;
	uint32_t messages, unseen, deleted;
	uint32_t first_recent;     /* see h_recent_claim */
	uint32_t recent;           /* set by mailbox_count_recent only */
	uint32_t detail;           /* +detail delivery: 0 off, 1 on, 2 forced */
};

/* The JMAP email id of a content hash: its first 8 bytes. */
int64_t mailbox_emailid(const uint8_t hash[32]);

/* Validate and normalize a name (INBOX prefix upper-cased); -1 if bad. */
int mailbox_norm(const char *name, size_t len, char out[STORE_MBOX_NAME_MAX + 1]);
/* 0 found, 1 not found, negative IPC error. */
int mailbox_by_name(struct udb *d, const char *norm, struct mbox *mb);
int mailbox_by_id(struct udb *d, int64_t id, struct mbox *mb);
/* By an (id, name) reference: 0, or a negative IPC error (NOTFOUND...). */
int mailbox_ref(struct req *r, uint64_t id, const char *name, size_t len,
    struct mbox *mb);

/* mb->recent: how many messages from first_recent on still exist. */
int mailbox_count_recent(struct udb *d, struct mbox *mb);
/* Add deltas to a mailbox's counters and set its modseq (within a write). */
int mailbox_count(struct udb *d, int64_t id, int64_t dmessages,
    int64_t dunseen, int64_t ddeleted, int64_t dsize, uint64_t modseq);
/* Take n UIDs from the mailbox's UIDNEXT; the first in *first. */
int mailbox_take_uids(struct udb *d, struct mbox *mb, uint32_t n,
    uint32_t *first);

/* Mailbox operations shared by the user and the admin requests; they
 * write their reply (if any) into r. */
int mailbox_create(struct req *r, const char *name, size_t len, uint32_t use);
int mailbox_delete(struct req *r, const char *name, size_t len);
int mailbox_rename(struct req *r, const char *from, size_t flen,
    const char *to, size_t tlen);
int mailbox_list(struct req *r, uint32_t flags);
void mailbox_put_status(struct buf *b, const struct mbox *mb, uint32_t attrs);

/* Insert a mailbox row (normalized name) with a new UIDVALIDITY. */
int insert_mailbox(struct udb *d, const char *norm, uint32_t use,
    uint64_t modseq, int64_t *id, uint32_t *uidv);

/* Make sure INBOX exists (a database created by a crash-interrupted user
 * creation may lack it); commits on its own. 0 or -1. */
int mailbox_ensure_inbox(struct udb *d);
/* The mailboxes of the `autocreate` option ("NAME[=use] ..."). */
int mailbox_autocreate(struct req *r, const char *spec);
/* Parse a special-use name (drafts, sent, ...) into its bit; 0 if unknown. */
uint32_t mailbox_use_bit(const char *name, size_t len);

#endif
