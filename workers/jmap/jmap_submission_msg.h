/*
 * jmap_submission_msg: what EmailSubmission takes from and makes of the
 * user's message and arguments, with no store and no JSON: the bytes sent
 * (the Bcc header fields left out), envelope addresses an SMTP command
 * line can carry, and RFC 3339 times (sendAt, HOLDUNTIL). Every function
 * reads untrusted bytes (tests/fuzz/fuzz_jmap_submission.c).
 */
#ifndef CLOISTER_JMAP_SUBMISSION_MSG_H
#define CLOISTER_JMAP_SUBMISSION_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The message p (n bytes) into out without its Bcc header fields (and
 * their continuation lines); everything else byte for byte. -1 without
 * memory. */
int jmap_strip_bcc(const char *p, size_t n, struct buf *out);

/* An envelope address the outbox takes: 1..320 bytes, one '@' with
 * something on both sides, no control characters, space or angle
 * brackets. */
bool jmap_envelope_addr_ok(const char *a);

/* Does the identity address ident ("user@example.org", or "*@example.org"
 * for any address of the domain) allow addr? ASCII case-insensitive. */
bool jmap_identity_allows(const char *ident, const char *addr);

/* An RFC 3339 date-time ("2026-12-05T10:00:00Z", "...:00.5+02:00") as unix
 * seconds, a fraction rounded up (never earlier than the time given). */
bool jmap_rfc3339(const char *s, uint64_t *t);

#endif
