/*
 * lmtp_store: lmtpd's backend on the store (store_client.h): recipients
 * checked with store_rcpt_check, messages delivered with store_deliver from
 * one reused memfd: the trace headers, the message, then the metadata the
 * worker parsed (msgmeta). One connection per shard; a user's shard is
 * store_shard_of(user, shards) (docs/store-protocol.md).
 */
#ifndef CLOISTER_LMTP_STORE_H
#define CLOISTER_LMTP_STORE_H

#include "lmtp.h"
#include "msgmeta.h"
#include "store_client.h"

struct lmtp_store;

/* Wrap the shard fds (owned from now on); NULL on allocation failure. */
struct lmtp_store *lmtp_store_open(const int *fds, unsigned nshards,
    const struct lmtp_opts *o, const struct msgmeta_limits *lim);
void lmtp_store_close(struct lmtp_store *ls);
struct auth_client;
/* With authd's channel ('set auth yes'), a recipient authd knows but the
 * store does not yet gets its store at the first delivery. */
void lmtp_store_set_auth(struct lmtp_store *ls, struct auth_client *ac);
struct lmtp_sieve;
/* Duplicate suppression and Sieve (lmtp_sieve.h) at every delivery. */
void lmtp_store_set_sieve(struct lmtp_store *ls, struct lmtp_sieve *sv);
/* The backend for lmtp_serve(). */
void lmtp_store_backend(struct lmtp_store *ls, struct lmtp_backend *be);

uint32_t lmtp_shard_of(const char *user, unsigned nshards);

#endif
