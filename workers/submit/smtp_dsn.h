/*
 * smtp_dsn: the DSN parameters of MAIL FROM and RCPT TO (RFC 3461) that
 * submitd sends when the relay offers DSN: RET=HDRS (a bounce carries
 * the headers, not the message) and ENVID naming the outbox entry, so
 * that a DSN delivered back to the user can be linked to it; NOTIFY
 * (the `dsn-notify` option) and ORCPT, the recipient as the user wrote
 * it, so the DSN's Original-Recipient matches the submission's.
 */
#ifndef CLOISTER_SMTP_DSN_H
#define CLOISTER_SMTP_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Is s a NOTIFY value: NEVER, or a comma-separated set of SUCCESS,
 * FAILURE and DELAY (any case, each once)? */
bool smtp_dsn_notify_ok(const char *s);

/* " RET=HDRS ENVID=<prefix><id>" into out: 0, or -1 if it does not fit. */
int smtp_dsn_mail(char *out, size_t size, uint64_t id);

/* " NOTIFY=<notify>" and, if it fits in size, " ORCPT=rfc822;<addr as
 * xtext>" into out: 0, or -1 if not even NOTIFY fits. */
int smtp_dsn_rcpt(char *out, size_t size, const char *notify,
    const char *addr);

#endif
