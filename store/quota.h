/*
 * quota: storage (bytes) and message count per user. Usage lives in the
 * user's database (meta), changed in the same transaction as the
 * messages; limits live in the registry. Enforced on append, delivery,
 * copy and move (IPC_ERR_QUOTA). Storage counts each message's size plus
 * the metadata bytes the worker sent with it (text index, headers).
 */
#ifndef CLOISTER_STORE_QUOTA_H
#define CLOISTER_STORE_QUOTA_H

#include <stdint.h>

struct udb;
struct buf;
struct req;

/* A new user's limits (stored options quota-storage and
 * quota-messages; 0 = none). An unlimited user can fill the spool's disk
 * for everyone, so there is a default; cloisterctl changes it per user. */
#define QUOTA_DEFAULT_STORAGE (10ull * 1024 * 1024 * 1024)
#define QUOTA_DEFAULT_MESSAGES 1000000ull

struct quota_default {
	uint64_t storage, messages;
};
extern struct quota_default quota_default;

int quota_usage(struct udb *d, uint64_t *bytes, uint64_t *messages);
/* Within a write. */
int quota_add(struct udb *d, int64_t dbytes, int64_t dmessages);
/* -IPC_ERR_QUOTA (message set in r) if adding would pass a limit. */
int quota_check(struct req *r, struct udb *d, uint64_t add_bytes,
    uint64_t add_messages);
/* Messages in this shard, for the SG_MESSAGES gauge: summed from every
 * user's usage at start (quota_count_shard, one database open per user),
 * then moved by quota_add. A write rolled back after quota_add leaves it
 * off by that write until the next start: it is a statistic, not a quota. */
uint64_t quota_shard_messages(void);
void quota_count_shard(void);
/* The quota block of docs/store-protocol.md. */
int quota_put(struct buf *b, struct udb *d);

#endif
