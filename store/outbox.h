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
 * An entry marked committing (submitd is about to write the final dot) is
 * never pending again: its result, or, if the channel closes or stored
 * restarts first, final with delivery unknown (outbox_result.c).
 */
#ifndef CLOISTER_STORE_OUTBOX_H
#define CLOISTER_STORE_OUTBOX_H

#include <sqlite3.h>
#include <stdint.h>

struct chan;
struct req;

enum outbox_state {
	OUTBOX_PENDING = 0,
	OUTBOX_SENDING = 1,
	OUTBOX_SENT = 2,
	OUTBOX_FAILED = 3,
	OUTBOX_CANCELED = 4,
	OUTBOX_UNKNOWN = 5,     /* final: may or may not have been sent */
	OUTBOX_COMMITTING = 6,  /* sending, past the mark before the final dot */
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

/* The next value of the shard's outbox change counter (EmailSubmission
 * states are the largest of a user's entries). */
uint64_t outbox_next_modseq(void);
/* A user's JMAP submissions changed (by origin, NULL: submitd): their
 * EventSource listeners hear it as a change of objects (STORE_NOTIFY,
 * mailbox STORE_NOTIFY_OBJECTS). */
void outbox_notify(const char *user, struct chan *origin);
/* submitd recorded entry id's result: if it is a JMAP submission, its
 * user's listeners hear of it. */
void outbox_jmap_result(uint64_t id);
/* JMAP submissions of user sent, failed or canceled more than
 * outbox_jmap_keep_s seconds ago (stored's submission-keep, default a
 * week) are destroyed (hidden: /changes reports them), so a user's listing
 * does not grow without end. Run at each new submission of the user. */
#define OUTBOX_JMAP_KEEP_DEFAULT (7u * 86400)
#define OUTBOX_JMAP_KEEP_MAX (366u * 86400)
extern uint32_t outbox_jmap_keep_s;
void outbox_jmap_expire(const char *user);
/* An entry's message file removed (it is done or canceled). */
void outbox_remove_file(uint64_t id);
/* outbox_jmap.c: its statements, prepared at outbox_open. */
void outbox_jmap_open(sqlite3 *db);

int h_outbox_add(struct req *r);
int h_outbox_claim(struct req *r);
int h_outbox_commit(struct req *r);
int h_outbox_result(struct req *r);
int h_outbox_list(struct req *r);
int h_outbox_change(struct req *r);
/* The entries not sent yet, and the failed ones (at most
 * OUTBOX_LIST_MAX, oldest first). */
#define OUTBOX_LIST_MAX 10000
int h_adm_outbox_list(struct req *r);

#endif
