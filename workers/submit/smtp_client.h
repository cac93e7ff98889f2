/*
 * smtp_client: the relay session (RFC 5321) over a connected socket:
 * greeting, EHLO; then each outbox entry as one transaction, MAIL FROM,
 * RCPT TO for each recipient, DATA with the message dot-stuffed (bare LF
 * sent as CRLF), the next entry on the same connection (as Postfix's
 * connection cache does: no connect per message), QUIT when there is
 * nothing more to send; before the final dot, the caller's commit (the
 * store's durable mark: from then on the message may be the relay's);
 * with a TLS context, STARTTLS (and EHLO again) after the first EHLO,
 * required; with auth_user, AUTH SCRAM-SHA-256 after that (keyd computes
 * the proof; nothing else, never PLAIN or LOGIN). When the relay offers DSN (RFC 3461), on every transaction:
 * MAIL FROM with RET=HDRS and ENVID (STORE_OUTBOX_ENVID_PREFIX and the
 * entry's id), RCPT TO with NOTIFY and ORCPT. No pipelining. Every wait
 * is bounded by the timeout.
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
	char auth_user[256];         /* relay-auth-user; "": no AUTH */
	int keyd_fd;                 /* keyd's channel for the SCRAM proofs */
	bool auth_clear_ok;          /* the relay is on loopback: AUTH without
					TLS allowed */
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
	bool stale;                  /* a reused connection was gone before
					MAIL FROM: nothing sent, try anew */
	char text[SMTP_REPLY_TEXT_MAX + 64];   /* what to record */
	/* per recipient, the relay's reply to its RCPT TO, or, if it took
	 * the recipient and the data was answered, the data's reply; "": not
	 * asked (the outcome's text stands for it) */
	char rcpt[STORE_OUTBOX_RCPTS_MAX][STORE_OUTBOX_RCPT_REPLY_MAX + 1];
};

/* Transactions on one connection at most: then a new one. */
#define SMTP_SESSION_MAX 100

/* Start the session on fd (connected, non-blocking; the session owns it):
 * 0, or -1 with the (temporary) outcome in *out and fd closed. */
int smtp_session_open(int fd, const struct smtp_opts *o,
    struct smtp_outcome *out);
/* Whether a session is open. */
bool smtp_session_live(void);
/* Send e in the open session, calling commit (if fn is set) right before
 * the final dot. The outcome in *out. A transaction that did not reach
 * the reply to its dot ends the session. */
void smtp_session_send(const struct store_outbox_entry *e,
    const struct smtp_commit *commit, struct smtp_outcome *out);
/* QUIT and close (nothing due for now). */
void smtp_session_close(void);

#endif
