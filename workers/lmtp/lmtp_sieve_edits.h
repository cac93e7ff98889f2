/*
 * lmtp_sieve_edits: the versions of one recipient's message that the
 * Sieve edits (replace, enclose) make, in the order the scripts ran them.
 * Version 0 is the message as it came; version k the message after the
 * first k edits, each with its own bytes, memfd (the trace fields and the
 * message, as the store takes it) and metadata parsed from those bytes.
 * An edit that fails (over max-message-size, no such part) makes every
 * version the original, with a log line: an edit never loses mail.
 */
#ifndef CLOISTER_LMTP_SIEVE_EDITS_H
#define CLOISTER_LMTP_SIEVE_EDITS_H

#include "lmtp_sieve.h"
#include "lmtp_sieve_edit.h"
#include "msgmeta.h"

#define LMTP_EDITS_MAX 4   /* edits a delivery carries out; later ones are
                              dropped (logged) */

struct lmtp_version {
	const uint8_t *msg;              /* the message, without trace */
	size_t len;
	int memfd;                       /* trace + message */
	uint64_t size;
	const struct store_msg_meta *meta;
	const struct mime_msg *m;
};

struct lmtp_edited {
	struct buf bytes, hdrs;
	struct mime_msg m;
	struct msgmeta mm;
	struct store_msg_meta meta;
	int memfd;
	bool built;
};

struct lmtp_edits {
	struct lmtp_version v[LMTP_EDITS_MAX + 1];
	struct lmtp_edited e[LMTP_EDITS_MAX];
	size_t n;                        /* versions past the original */
};

/* Build the versions of acts[0..n) (at most LMTP_EDITS_MAX of them) for
 * the delivery d. 0, or -1 with why (every version then the original). */
int lmtp_edits_build(struct lmtp_edits *ed, const struct lmtp_delivery *d,
    const struct sieve_action *const *acts, size_t n,
    const struct lmtp_edit_env *env, const char **why);
void lmtp_edits_free(struct lmtp_edits *ed);
/* Version 0: the message as it came. */
void lmtp_version_original(struct lmtp_version *v,
    const struct lmtp_delivery *d);

#endif
