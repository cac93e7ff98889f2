/* lmtp_sieve's state, shared by lmtp_sieve.c (running the scripts) and
 * lmtp_sieve_act.c (carrying out their actions). */
#ifndef CLOISTER_LMTP_SIEVE_INT_H
#define CLOISTER_LMTP_SIEVE_INT_H

#include "lmtp_sieve.h"
#include "lmtp_sieve_msg.h"

#define LMTP_SIEVE_SCRIPTS 5     /* before, the domain's before, the
                                    user's, the domain's after, after */
#define LMTP_SIEVE_INCLUDES 16
#define LMTP_ACTIVE_CACHE 16     /* users' programs kept per transaction */
/* distinct names mailboxexists asks the store about in one run; the
 * ones after are answered "does not exist" */
#define LMTP_MBOX_EXISTS_MAX STORE_MBOX_EXISTS_MAX
_Static_assert(LMTP_DUPLICATE_MAX + 1 <= STORE_DELIVER_SEEN_MAX,
    "a delivery carries every duplicate record and its own");

struct lmtp_sieve {
	struct lmtp_sieve_conf c;
	struct lmtp_smsg msg;
	int outfd;                    /* memfd of outgoing mail */
	char reason[256];             /* of the last reject */
	const struct lmtp_delivery *d;
	struct sieve_program *included[LMTP_SIEVE_INCLUDES];
	size_t nincluded;
	unsigned nduplicate;          /* duplicate tests asked this run */
	/* what they saw first, recorded once the message is delivered (RFC
	 * 7352 section 3: a failed delivery leaves no record) */
	struct {
		uint8_t key[32];
		uint64_t seconds;
	} dup_pending[LMTP_DUPLICATE_MAX];
	unsigned ndup_pending;
	/* the records the delivery makes: the duplicate tests' and the
	 * delivery's own, sent with the last store delivery of the message
	 * (one transaction, one commit); seen_done once one took them */
	struct store_seen_rec seen[STORE_DELIVER_SEEN_MAX];
	size_t nseen;
	bool seen_done;
	/* the delivery's own record is still to be checked: the store
	 * delivery carrying it refuses a message delivered already
	 * (STORE_SEEN_IF_NEW), or lmtp_sieve_check_duplicate asks first;
	 * duplicate once either found it was */
	bool dup_unchecked;
	bool duplicate;
	struct buf prog;              /* a program read from the store */
	/* the users' active programs, asked of the store once per
	 * transaction and user: recipients of one message that are the
	 * same user (user+a, user+b, in any order) share one */
	uint64_t active_txn;
	struct lmtp_active {
		char user[LMTP_USER_MAX + 1];
		struct sieve_program *prog;   /* NULL: the user has none */
	} active[LMTP_ACTIVE_CACHE];
	unsigned nactive, active_next;
	/* mailboxexists answers of this run (a script asks again in a
	 * loop or under several tests: the store is asked once a name) */
	struct {
		char name[STORE_MBOX_NAME_MAX + 1];
		bool exists;
	} mbox_seen[LMTP_MBOX_EXISTS_MAX];
	unsigned nmbox_seen;
};

/* The results of the scripts that ran, in order. failed: one of them
 * failed (its result is the implicit keep alone); why says what. */
struct lmtp_runs {
	struct sieve_result res[LMTP_SIEVE_SCRIPTS];
	const char *name[LMTP_SIEVE_SCRIPTS];
	size_t n;
	bool failed;
};

/* Carry out the runs' actions (lmtp_sieve_act.c): a store_rc, *rejected
 * as lmtp_sieve_deliver. */
int lmtp_sieve_act(struct lmtp_sieve *s, const struct lmtp_runs *runs,
    bool *rejected);

/* Ask the store whether the delivery's own record exists (a duplicate)
 * when no single store delivery will carry the check: true, and
 * s->duplicate set, when it does. */
bool lmtp_sieve_check_duplicate(struct lmtp_sieve *s);

/* The plain delivery: to INBOX (or the +detail mailbox the store allows),
 * with flags when there are some; the last store delivery of the message,
 * so it carries the seen records. */
int lmtp_sieve_keep(struct lmtp_sieve *s, const char *const *flags,
    size_t nflags);

#endif
