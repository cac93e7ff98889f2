/*
 * lmtp_dsn: a delivery status notification (RFC 3464: multipart/report;
 * report-type=delivery-status) just delivered to a user is linked to the
 * user's own JMAP submission its Original-Envelope-Id names (the ENVID
 * submitd gave it, RFC 3461), so that EmailSubmission shows it in
 * dsnBlobIds and its recipients' delivered as the report says; a
 * disposition notification (RFC 8098: report-type=disposition-notification)
 * is linked by its Original-Message-ID to the user's submission of that
 * message (mdnBlobIds, displayed). The store decides: only a submission of
 * the user the report was delivered to, and only with a message that user
 * holds (docs/lmtpd.md).
 */
#ifndef CLOISTER_LMTP_DSN_H
#define CLOISTER_LMTP_DSN_H

#include <stddef.h>

#include "mime.h"
#include "store_client.h"

/* m: the parse of msg (mlen bytes), delivered to user as trace (tlen
 * bytes) followed by msg. Nothing happens if it is no such report. */
void lmtp_dsn_link(struct store_conn *sc, const char *user,
    const struct mime_msg *m, const void *trace, size_t tlen, const void *msg,
    size_t mlen);

#endif
