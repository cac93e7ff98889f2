/*
 * lmtp_vacation: when a Sieve vacation action may answer (RFC 5230
 * sections 4.5 and 5, RFC 3834) and the answer it sends. lmtpd decides
 * here, before the store is asked whom it answered lately, so that mail
 * no one should answer (lists, bounces, other robots, the user's own
 * mail, mail not addressed to the user) never costs a store record.
 */
#ifndef CLOISTER_LMTP_VACATION_H
#define CLOISTER_LMTP_VACATION_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "lmtp_sieve_msg.h"
#include "sieve_run.h"

/* Who the recipient is: its address (as given at RCPT) and the other
 * addresses its mail comes to (vacation :addresses). */
struct lmtp_self {
	const char *rcpt;
	const char *user_addr;   /* rcpt without +detail */
	const char *const *addresses;
	size_t naddresses;
};

/* NULL when the message may be answered, else why not (for the log). */
const char *lmtp_vacation_refusal(struct lmtp_smsg *s, const char *sender,
    const struct lmtp_self *self);

/* The key of the "answered already" record: SHA-256 of the handle (or,
 * without :handle, the reason and subject: RFC 5230 section 4.2) and the
 * sender, lower-cased. */
void lmtp_vacation_key(const struct sieve_action *a, const char *sender,
    uint8_t key[32]);

/* Does the message carry Auto-Submitted other than "no" (RFC 3834)? */
bool lmtp_auto_submitted(struct lmtp_smsg *s);

/* Is a equal to b as an address (the domain in any case, the local part
 * too, as every MTA in front of a Cloister store treats it)? */
bool lmtp_addr_equal(const char *a, size_t alen, const char *b);

/* The header lines of an automatic message: Date, Message-ID (unique,
 * from the time, the process and a counter, under hostname). */
int lmtp_auto_headers(struct buf *out, const char *hostname, int64_t now);

/* text as a header value: as is when it is printable ASCII, else one
 * RFC 2047 encoded word (B, UTF-8); control characters become spaces. */
int lmtp_header_text(struct buf *out, const char *text, size_t n);

/* The answer (RFC 5230 section 5): From the recipient (or :from), To the
 * sender, Subject (:subject or "Auto: " and the original one),
 * In-Reply-To and References, Auto-Submitted: auto-replied, and the
 * reason as text/plain UTF-8 or, with :mime, as the MIME entity it is. */
int lmtp_vacation_compose(struct buf *out, const struct sieve_action *a,
    struct lmtp_smsg *s, const char *sender, const char *rcpt,
    const char *hostname, int64_t now);

#endif
