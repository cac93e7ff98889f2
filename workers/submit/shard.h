/*
 * shard: submitd's channel to one store shard, and what outlives it. A
 * stored that dies takes the channel along; submitd does not: it asks
 * cloisterd for a channel to the restarted one (store_ask) and reports
 * there the result it could not report before, if the entry was past its
 * committing mark (docs/submitd.md, "What a crash may repeat"). An entry
 * not past it is pending again at the store's start: nothing to hold.
 */
#ifndef CLOISTER_SUBMIT_SHARD_H
#define CLOISTER_SUBMIT_SHARD_H

#include <stdbool.h>
#include <stdint.h>

#include "store_client.h"

/* An entry's result as store_outbox_result takes it. */
struct shard_result {
	uint64_t id;
	uint32_t outcome;            /* enum store_outbox_outcome */
	uint64_t retry_at;
	const char *reply;
	const char *const *rcpt;     /* the reply to each recipient, or none */
	size_t nrcpts;
};

/* A result kept, with its own copies of the replies. */
struct held_result {
	bool set;
	uint64_t id;
	uint32_t outcome;
	uint64_t retry_at;
	char reply[STORE_OUTBOX_REPLY_MAX + 1];
	size_t nrcpts;
	char rcpt[STORE_OUTBOX_RCPTS_MAX][STORE_OUTBOX_RCPT_REPLY_MAX + 1];
};

struct shard {
	unsigned index;
	struct store_conn *sc;
	struct held_result held;
};

/* The channel cloisterd gave at start. */
void shard_open(struct shard *sh, unsigned index);
/* A call on sh->sc failed with rc: a lost channel (STORE_E_IO,
 * STORE_E_PROTO) is replaced, waiting for the restarted stored (a bounded
 * wait; past it, or on any other failure, the process ends). */
void shard_failed(struct shard *sh, int rc, const char *what);
/* Report an entry's result; committed: its committing mark was asked for
 * (then a lost channel keeps the result, per-recipient replies and all,
 * for the next one). */
void shard_report(struct shard *sh, const struct shard_result *r,
    bool committed);

#endif
