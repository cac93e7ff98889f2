/* lmtp_log: one line for every decision on a recipient, the way an
 * operator greps for a lost message:
 *   delivered: client=unix from=s@example.net to=alice@example.org
 *     user=alice size=1834 msgid=<q1@example.org> code=250 dsn=2.0.0
 *   rejected: client=unix from=s@example.net to=nobody@example.org
 *     stage=rcpt code=550 dsn=5.1.1 text="User doesn't exist"
 * and at the end of each connection
 *   session end: client=unix lhlo=mta.example.net reason=quit
 *     duration=0.015s in=412 out=203 delivered=1 rejected=1
 * (a client that closed without a byte, a port check: a debug line).
 * Addresses, message ids and the LHLO name come from the client: each is
 * one token (log_token), "<>" for the null sender. */
#include "lmtp.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
lmtp_log_rcpt(const char *event, const char *client, const char *sender,
    const char *rcpt, const char *fmt, ...)
{
	char f[LOG_TOKEN_MAX], t[LOG_TOKEN_MAX], more[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(more, sizeof(more), fmt, ap);
	va_end(ap);
	log_info("%s: client=%s from=%s to=%s %s", event,
	    client != NULL && client[0] ? client : "unix",
	    sender[0] ? log_token(sender, strlen(sender), f, sizeof(f)) : "<>",
	    log_token(rcpt, strlen(rcpt), t, sizeof(t)), more);
}

void
lmtp_log_reply(const char *stage, const char *client, const char *sender,
    const char *rcpt, const char *reply)
{
	/* "550 5.1.1 <addr> text": the code, the enhanced code, the words */
	size_t n = strlen(reply);
	const char *sp = memchr(reply, ' ', n);
	const char *dsn = sp != NULL ? sp + 1 : reply + n;
	size_t dlen = strcspn(dsn, " ");
	const char *text = strstr(dsn, "> ");
	text = text != NULL ? text + 2 : dsn + dlen + (dsn[dlen] == ' ');
	char x[LOG_TOKEN_MAX];
	lmtp_log_rcpt("rejected", client, sender,
	    rcpt, "stage=%s code=%.3s dsn=%.*s text=%s", stage, reply,
	    (int)(dlen < 16 ? dlen : 16), dsn,
	    log_token(text, strlen(text), x, sizeof(x)));
}

void
lmtp_log_end(const struct lmtp_end *e)
{
	char h[LOG_TOKEN_MAX];
	/* gone before a byte (our greeting may not even have reached it) */
	bool port_check = e->in == 0 && (strcmp(e->reason, "closed") == 0 ||
	    strcmp(e->reason, "error") == 0);
	log_msg(port_check ? LOG_LVL_DEBUG : LOG_LVL_INFO, "session end:"
	    " client=%s lhlo=%s reason=%s duration=%lld.%03llds in=%llu out=%llu"
	    " delivered=%u rejected=%u", e->client != NULL && e->client[0] ?
	    e->client : "unix", e->lhlo[0] ? log_token(e->lhlo, strlen(e->lhlo),
	    h, sizeof(h)) : "-", e->reason, (long long)(e->ms / 1000),
	    (long long)(e->ms % 1000), (unsigned long long)e->in,
	    (unsigned long long)e->out, e->delivered, e->rejected);
}
