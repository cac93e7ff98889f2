/*
 * smtp_client: one outbox entry as one SMTP transaction over a connected
 * socket (RFC 5321): greeting, EHLO, MAIL FROM, RCPT TO for each
 * recipient, DATA with the message dot-stuffed (bare LF sent as CRLF),
 * QUIT; before the final dot, the caller's commit (the store's durable
 * mark: from then on the message may be the relay's); with a TLS context, STARTTLS (and EHLO again) after the first
 * EHLO, required. No pipelining. Every wait is bounded by the timeout.
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
	int timeout_ms;              /* per read or write */
	struct ssl_ctx_st *tls;      /* STARTTLS required with it; NULL: plain */
};

enum smtp_verdict {
	SMTP_SENT = 1,               /* the relay took it (for some recipients) */
	SMTP_TEMPFAIL = 2,           /* try again later */
	SMTP_PERMFAIL = 3,           /* never: a 5xx for the message */
	SMTP_UNKNOWN = 4,            /* the final dot went out, no reply came */
};

/* Called before the final dot is written: 0 goes on, < 0 ends the
 * transaction without the dot (the relay drops the message). */
struct smtp_commit {
	int (*fn)(void *arg);
	void *arg;
};

struct smtp_outcome {
	enum smtp_verdict verdict;
	unsigned rejected;           /* recipients refused with a 5xx */
	bool committed;              /* the commit ran: the dot may be out */
	char text[SMTP_REPLY_TEXT_MAX + 64];   /* what to record */
};

/* Send e over fd (connected, non-blocking), calling commit (if fn is set)
 * right before the final dot. The outcome in *out. */
void smtp_send(int fd, const struct smtp_opts *o,
    const struct store_outbox_entry *e, const struct smtp_commit *commit,
    struct smtp_outcome *out);

#endif
