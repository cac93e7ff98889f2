/*
 * lmtp_notify: Sieve enotify's mailto method (RFC 5436) at delivery: the
 * address a mailto: URI names and the notification sent to it. lmtpd
 * queues it with the other outgoing mail (lmtp_outgoing.h).
 */
#ifndef CLOISTER_LMTP_NOTIFY_H
#define CLOISTER_LMTP_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "lmtp_sieve_msg.h"

/* The address of a mailto: URI (RFC 6068, the first one, %-decoded) into
 * out; -1 when it has none or it is not a plain address. */
int lmtp_mailto_address(const char *uri, char *out, size_t n);

/* The message a notify action sends (RFC 5436 section 2.7): From the
 * recipient (or :from), To the mailto address, Subject :message or one
 * naming the sender and subject, Auto-Submitted: auto-notified. */
int lmtp_notify_compose(struct buf *out, const char *from, const char *to,
    const char *message, struct lmtp_smsg *s, const char *hostname,
    int64_t now);

#endif
