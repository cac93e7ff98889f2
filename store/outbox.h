/*
 * outbox: messages queued for sending, kept per shard in the registry
 * database (table outbox) with the message as a file,
 * data/s<shard>/outbox/<id>. Queued by lmtpd (the delivery right: Sieve
 * vacation replies and redirects) or by a user session; claimed and
 * resolved by submitd, which sends them through the relay
 * (docs/submitd.md). The store parses none of it: addresses are bounded
 * opaque strings, the message a file.
 *
 * States: pending -> sending (claimed by one channel) -> sent | failed, or
 * back to pending (a temporary failure, with its next try; or the
 * claiming channel closed: crash-only, submitd's death loses nothing but
 * may send an entry twice if the relay took it and the result never
 * reached the store). A stored restart makes every sending entry pending.
 */
#ifndef CLOISTER_STORE_OUTBOX_H
#define CLOISTER_STORE_OUTBOX_H

#include <sqlite3.h>

struct chan;
struct req;

enum outbox_state {
	OUTBOX_PENDING = 0,
	OUTBOX_SENDING = 1,
	OUTBOX_SENT = 2,
	OUTBOX_FAILED = 3,
	OUTBOX_CANCELED = 4,
};

/* Pending entries of one user at most (a compromised lmtpd or a user
 * cannot fill the shard's disk with the outbox alone). */
#define OUTBOX_USER_PENDING_MAX 1000
/* Entries claimed at once, over every channel. */
#define OUTBOX_CLAIMS_MAX 16

/* At start, after the registry is open (root: the shard's directory):
 * the outbox directory, the statements, sending entries back to pending,
 * files no entry names removed. Fatal on failure. */
void outbox_open(sqlite3 *db, const char *root);
/* A channel closed: the entries it claimed are pending again. */
void outbox_chan_closed(struct chan *ch);

int h_outbox_add(struct req *r);
int h_outbox_claim(struct req *r);
int h_outbox_result(struct req *r);
/* The entries not sent yet, and the failed ones (at most
 * OUTBOX_LIST_MAX, oldest first). */
#define OUTBOX_LIST_MAX 10000
int h_adm_outbox_list(struct req *r);

#endif
