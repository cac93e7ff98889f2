/*
 * outbox_int: what the outbox's files share inside stored (outbox.c keeps
 * the claims and the entry table; outbox_result.c the end of a send: the
 * mark before the final dot, the result, and what a crash left between).
 */
#ifndef CLOISTER_STORE_OUTBOX_INT_H
#define CLOISTER_STORE_OUTBOX_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct chan;
struct req;

/* Whether entry id is claimed, by ch (NULL: by any channel). */
bool outbox_claimed(const struct chan *ch, uint64_t id);
/* Entry id is no one's claim any more. */
void outbox_claim_drop(uint64_t id);
/* Record the end of a try: state, next try, the relay's reply, the
 * per-recipient status (outbox_status.h; NULL: none). Entries sending,
 * committing or unknown only. 0 or -IPC_ERR_INTERNAL. */
int outbox_resolve(uint64_t id, uint32_t state, uint64_t next_try,
    const char *reply, size_t rlen, const struct buf *rstatus);
/* 0 if r came on a channel without a user or the admin right (submitd's);
 * else the failure, replied. */
int outbox_submit_channel(struct req *r);

/* outbox_result.c: its statements, prepared at outbox_open. */
void outbox_result_open(sqlite3 *db);
/* The channel holding committing entry id closed (by NULL: found at the
 * first claim after a start): it is final, "unknown". */
void outbox_commit_lost(uint64_t id, const struct chan *ch);
/* Once after a start, at the first claim: every committing entry (no live
 * claim can hold one yet) is final, "unknown". */
void outbox_commit_orphans(void);

#endif
