/*
 * smtp_client: one outbox entry as one SMTP transaction over a connected
 * socket (RFC 5321): greeting, EHLO, MAIL FROM, RCPT TO for each
 * recipient, DATA with the message dot-stuffed (bare LF sent as CRLF),
 * QUIT; with a TLS context, STARTTLS (and EHLO again) after the first
 * EHLO, required. When the relay offers DSN (RFC 3461): MAIL FROM with
 * RET=HDRS and ENVID (STORE_OUTBOX_ENVID_PREFIX and the entry's id), RCPT
 * TO with NOTIFY and ORCPT. No pipelining. Every wait is bounded by the
 * timeout.
 */
#ifndef CLOISTER_SMTP_CLIENT_H
#define CLOISTER_SMTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "smtp_io.h"
#include "smtp_reply.h"
#include "store_client.h"

struct smtp_opts {
	char helo[256];              /* the EHLO name */
	char dsn_notify[32];         /* RCPT NOTIFY= when the relay offers DSN
					(RFC 3461); "": no DSN parameters */
	int timeout_ms;              /* per read or write */
	struct ssl_ctx_st *tls;      /* STARTTLS required with it; NULL: plain */
};

enum smtp_verdict {
	SMTP_SENT = 1,               /* the relay took it (for some recipients) */
	SMTP_TEMPFAIL = 2,           /* try again later */
	SMTP_PERMFAIL = 3,           /* never: a 5xx for the message */
};

struct smtp_outcome {
	enum smtp_verdict verdict;
	unsigned rejected;           /* recipients refused with a 5xx */
	char text[SMTP_REPLY_TEXT_MAX + 64];   /* what to record */
	/* per recipient, the relay's reply to its RCPT TO, or, if it took
	 * the recipient and the data was answered, the data's reply; "": not
	 * asked (the outcome's text stands for it) */
	char rcpt[STORE_OUTBOX_RCPTS_MAX][STORE_OUTBOX_RCPT_REPLY_MAX + 1];
};

/* Send e over fd (connected, non-blocking). The outcome in *out. */
void smtp_send(int fd, const struct smtp_opts *o,
    const struct store_outbox_entry *e, struct smtp_outcome *out);

#endif
