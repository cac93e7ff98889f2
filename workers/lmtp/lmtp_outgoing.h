/*
 * lmtp_outgoing: mail a Sieve script sends (redirect, vacation, notify),
 * queued in the user's outbox on the store (store_outbox_add) for submitd
 * to send; lmtpd itself has no network. The limits that keep a script from
 * turning lmtpd into a mail cannon live here: the loop marker a redirect
 * carries, and the per-user count of redirects per day.
 */
#ifndef CLOISTER_LMTP_OUTGOING_H
#define CLOISTER_LMTP_OUTGOING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "buf.h"
#include "lmtp_sieve_msg.h"
#include "store_client.h"

/* The field a redirect adds; a message carrying it with our hostname as
 * its value came through a redirect here already and is not sent again. */
#define LMTP_LOOP_FIELD "X-Cloister-Loop"

/* Write iov to *fd (a memfd made on first use) from offset 0. */
int lmtp_memfd_fill(int *fd, struct iovec *iov, int n);

/* Queue n bytes of iov for rcpt (envelope mail_from, "" = <>) on
 * behalf of user. A store_rc, or STORE_E_TEMPORARY when the memfd fails. */
int lmtp_outbox_queue(struct store_conn *sc, const char *user, int *fd,
    const char *mail_from, const char *rcpt, struct iovec *iov, int n);

/* Does the message carry LMTP_LOOP_FIELD with value hostname? */
bool lmtp_loop_marked(struct lmtp_smsg *s, const char *hostname);

/* Take one of the user's per_day redirects of the current day: *allowed
 * false when all are used. A store_rc. */
int lmtp_redirect_allowance(struct store_conn *sc, const char *user,
    unsigned per_day, int64_t now, bool *allowed);

#endif
