/* lmtp_log: one line for every decision on a recipient, the way an
 * operator greps for a lost message:
 *   delivered: client=unix from=s@example.net to=alice@example.org
 *     user=alice size=1834 msgid=<q1@example.org> code=250 dsn=2.0.0
 *   rejected: client=unix from=s@example.net to=nobody@example.org
 *     stage=rcpt code=550 dsn=5.1.1 text="User doesn't exist"
 * Addresses and message ids come from the client: each is one token
 * (log_token), "<>" for the null sender. */
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
