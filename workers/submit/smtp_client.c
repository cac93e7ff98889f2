/* smtp_client: the relay session, one transaction per entry (see
 * smtp_client.h). */
#include "smtp_client.h"
#include "buf.h"
#include "smtp_auth.h"
#include "smtp_dsn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
	const struct smtp_commit *commit;
	bool committed;              /* the final dot may have gone out */
	bool reusable;               /* the transaction ended with its reply */
	bool dsn;                    /* DSN parameters on each transaction */
	char dsn_notify[32];         /* smtp_opts.dsn_notify */
	unsigned used;               /* transactions on this connection */
	struct smtp_io io;
	struct smtp_lines in;
	struct smtp_reply r;
};

static int
write_all(struct conn *c, const char *p, size_t n)
{
	return smtp_io_write_all(&c->io, p, n);
}

/* Read one complete reply into c->r; -1 on a timeout, EOF or garbage. */
static int
read_reply(struct conn *c)
{
	smtp_reply_init(&c->r);
	for (int reads = 0; reads < 4 * SMTP_REPLY_LINES_MAX; reads++) {
		const char *line;
		size_t len;
		int got;
		while ((got = smtp_lines_next(&c->in, &line, &len)) == 1) {
			enum smtp_feed f = smtp_reply_line(&c->r, line, len);
			if (f == SMTP_DONE)
				return 0;
			if (f == SMTP_BAD)
				return -1;
		}
		if (got < 0)
			return -1;
		size_t room;
		char *p = smtp_lines_room(&c->in, &room);
		ssize_t k = smtp_io_read(&c->io, p, room);
		if (k <= 0)
			return -1;
		smtp_lines_filled(&c->in, (size_t)k);
	}
	return -1;
}

/* Send the command line verb arg post CRLF, read its reply: its code, or
 * -1. */
static int
command(struct conn *c, const char *verb, const char *arg, const char *post)
{
	char line[SMTP_LINE_MAX];
	smtp_reply_init(&c->r);      /* a failed write reports no older reply */
	int n = snprintf(line, sizeof(line), "%s%s%s\r\n", verb, arg, post);
	if (n < 0 || (size_t)n >= sizeof(line) || write_all(c, line, (size_t)n) < 0)
		return -1;
	return read_reply(c) < 0 ? -1 : c->r.code;
}

/* The message, dot-stuffed, CRLF line ends, then the final dot, after the
 * commit: -1 on a failed read or write, -2 if the commit refused. */
static int
send_body(struct conn *c, const struct store_outbox_entry *e)
{
	static char in[32 * 1024], out[2 * sizeof(in) + 8];   /* + the dot */
	char prev = '\n';           /* the start is a line start */
	uint64_t off = 0;
	while (off < e->size) {
		size_t want = e->size - off < sizeof(in) ? (size_t)(e->size - off) :
		    sizeof(in);
		ssize_t k = pread(e->fd, in, want, (off_t)off);
		if (k <= 0)
			return -1;
		size_t o = 0;
		for (ssize_t i = 0; i < k; i++) {
			char ch = in[i];
			if (prev == '\n' && ch == '.')
				out[o++] = '.';
			if (ch == '\n' && prev != '\r')
				out[o++] = '\r';
			out[o++] = ch;
			prev = ch;
		}
		off += (uint64_t)k;
		/* the final dot goes with the last bytes, in one write: written
		 * apart it waits (Nagle) for the relay's delayed ACK, 40 ms or
		 * more for every message */
		if (off == e->size) {
			const char *end = prev == '\n' ? ".\r\n" : prev == '\r' ?
			    "\n.\r\n" : "\r\n.\r\n";
			memcpy(out + o, end, strlen(end));
			o += strlen(end);
			if (c->commit->fn != NULL) {
				if (c->commit->fn(c->commit->arg) < 0)
					return -2;
				c->committed = true;
			}
		}
		if (write_all(c, out, o) < 0)
			return -1;
	}
	return 0;
}

static int
outcome(struct smtp_outcome *out, enum smtp_verdict v, const struct conn *c,
    const char *what)
{
	out->verdict = v;
	if (c->r.done)
		snprintf(out->text, sizeof(out->text), "%s", c->r.text);
	else
		snprintf(out->text, sizeof(out->text), "%s: %s", what,
		    errno ? strerror(errno) : "no valid reply");
	return 0;
}

/* The class of a reply code as a verdict: 5xx permanent, else temporary. */
static enum smtp_verdict
failed(int code)
{
	return code >= 500 ? SMTP_PERMFAIL : SMTP_TEMPFAIL;
}

/* STARTTLS, required when configured (RFC 3207), then EHLO again: 0, or
 * -1 with the (temporary) outcome set. */
static int
starttls(struct conn *c, const struct smtp_opts *o, struct smtp_outcome *out)
{
	if (!(c->r.ext & SMTP_EXT_STARTTLS)) {
		out->verdict = SMTP_TEMPFAIL;
		snprintf(out->text, sizeof(out->text), "the relay offers no STARTTLS");
		return -1;
	}
	if (command(c, "STARTTLS", "", "") != 220) {
		outcome(out, SMTP_TEMPFAIL, c, "STARTTLS");
		return -1;
	}
	/* bytes sent before the handshake would be taken as if protected */
	if (c->in.len > c->in.off) {
		out->verdict = SMTP_TEMPFAIL;
		snprintf(out->text, sizeof(out->text), "STARTTLS: data before the"
		    " handshake");
		return -1;
	}
	if (smtp_io_starttls(&c->io, o->tls, out->text, sizeof(out->text)) < 0) {
		out->verdict = SMTP_TEMPFAIL;
		return -1;
	}
	smtp_lines_init(&c->in);
	if (command(c, "EHLO ", o->helo, "") != 250) {
		outcome(out, SMTP_TEMPFAIL, c, "EHLO after STARTTLS");
		return -1;
	}
	return 0;
}

static int
auth_fail(struct smtp_outcome *out, const char *what)
{
	out->verdict = SMTP_TEMPFAIL;
	snprintf(out->text, sizeof(out->text), "relay AUTH: %s", what);
	return -1;
}

/* The base64 after "334 " (or "235 ") of the last reply, or NULL. */
static const char *
challenge(const struct conn *c, size_t *n)
{
	if (c->r.textlen < 5 || c->r.text[3] != ' ')
		return NULL;
	*n = c->r.textlen - 4;
	return c->r.text + 4;
}

/* AUTH SCRAM-SHA-256 (RFC 4954, RFC 7677), the proof from keyd; the
 * relay must prove it knows the password too (v=). 0, or -1 with the
 * (temporary) outcome set: the entry waits, the connection is dropped. */
static int
authenticate(struct conn *c, const struct smtp_opts *o,
    struct smtp_outcome *out)
{
	static struct smtp_scram s;
	char nonce[25], msg[512], why[160];
	uint8_t proof[KEY_SCRAM_LEN], sig[KEY_SCRAM_LEN];
	size_t n;
	if (o->tls == NULL && !o->auth_clear_ok)
		return auth_fail(out, "refused in clear (relay-tls starttls, or a"
		    " relay on loopback)");
	if (!(c->r.ext & SMTP_EXT_AUTH_SCRAM256))
		return auth_fail(out, "the relay offers no SCRAM-SHA-256 (PLAIN"
		    " and LOGIN are never used)");
	if (smtp_auth_nonce(nonce) < 0 ||
	    smtp_scram_first(&s, o->auth_user, nonce, msg, sizeof(msg)) < 0)
		return auth_fail(out, "no client-first message");
	int code = command(c, "AUTH SCRAM-SHA-256 ", msg, "");
	const char *b64 = challenge(c, &n);
	if (code != 334 || b64 == NULL) {
		outcome(out, SMTP_TEMPFAIL, c, "AUTH");
		return -1;
	}
	if (smtp_scram_server_first(&s, b64, n, why, sizeof(why)) < 0 ||
	    smtp_auth_proof(o->keyd_fd, o->timeout_ms, &s, proof, sig, why,
	    sizeof(why)) < 0 ||
	    smtp_scram_final(&s, proof, msg, sizeof(msg)) < 0)
		return auth_fail(out, why);
	code = command(c, msg, "", "");
	b64 = challenge(c, &n);
	if ((code != 334 && code != 235) || b64 == NULL) {
		outcome(out, SMTP_TEMPFAIL, c, "AUTH");
		return -1;
	}
	if (!smtp_scram_server_final_ok(b64, n, sig))
		return auth_fail(out, "the relay's ServerSignature does not match:"
		    " connection dropped");
	/* RFC 4954 4: the server-final came as a challenge; an empty answer */
	if (code == 334 && command(c, "", "", "") != 235) {
		outcome(out, SMTP_TEMPFAIL, c, "AUTH");
		return -1;
	}
	return 0;
}

/* The relay's reply as recipient i's own, bounded. */
static void
keep_rcpt_reply(struct smtp_outcome *out, size_t i, const struct conn *c)
{
	size_t n = strnlen(c->r.text, STORE_OUTBOX_RCPT_REPLY_MAX);
	memcpy(out->rcpt[i], c->r.text, n);
	out->rcpt[i][n] = '\0';
}

/* Greeting, EHLO, STARTTLS if configured: 0, or -1 with the (temporary)
 * outcome set. */
static int
hello(struct conn *c, const struct smtp_opts *o, struct smtp_outcome *out)
{
	/* the relay's own trouble (greeting, EHLO) is never the message's */
	if (read_reply(c) < 0 || c->r.code != 220) {
		outcome(out, SMTP_TEMPFAIL, c, "greeting");
		return -1;
	}
	if (command(c, "EHLO ", o->helo, "") != 250) {
		outcome(out, SMTP_TEMPFAIL, c, "EHLO");
		return -1;
	}
	if (o->tls != NULL && starttls(c, o, out) < 0)
		return -1;
	/* the last EHLO's extensions hold for every transaction after it
	 * (taken before AUTH's replies replace c->r) */
	c->dsn = (c->r.ext & SMTP_EXT_DSN) && o->dsn_notify[0] != '\0';
	snprintf(c->dsn_notify, sizeof(c->dsn_notify), "%s", o->dsn_notify);
	if (o->auth_user[0] != '\0' && authenticate(c, o, out) < 0)
		return -1;
	return 0;
}

/* One transaction; c->reusable when it reached the reply to the final
 * dot (the relay is then ready for the next MAIL FROM). With DSN, every
 * transaction carries its own parameters (RFC 3461 4). */
static int
transact(struct conn *c, const struct store_outbox_entry *e,
    struct smtp_outcome *out)
{
	char post[SMTP_LINE_MAX];
	post[0] = '>';
	if (!c->dsn || smtp_dsn_mail(post + 1, sizeof(post) - 1, e->id) < 0)
		post[1] = '\0';
	int code = command(c, "MAIL FROM:<", e->mail_from, post);
	if (code < 0 && c->used > 0) {
		out->stale = true;    /* the relay closed the reused connection */
		return outcome(out, SMTP_TEMPFAIL, c, "MAIL FROM");
	}
	if (code != 250)
		return outcome(out, code < 0 ? SMTP_TEMPFAIL : failed(code), c,
		    "MAIL FROM");
	unsigned accepted = 0;
	for (size_t i = 0; i < e->nrcpts; i++) {
		/* the line: "RCPT TO:<" addr post CRLF */
		size_t room = SMTP_LINE_MAX - 12 - strlen(e->rcpts[i]);
		if (!c->dsn || smtp_dsn_rcpt(post + 1, room, c->dsn_notify,
		    e->rcpts[i]) < 0)
			post[1] = '\0';
		code = command(c, "RCPT TO:<", e->rcpts[i], post);
		if (c->r.done)
			keep_rcpt_reply(out, i, c);
		if (code == 250 || code == 251)
			accepted++;
		else if (code >= 500)
			out->rejected++;
		else      /* a 4xx for one: all again later, none sent twice */
			return outcome(out, SMTP_TEMPFAIL, c, "RCPT TO");
	}
	if (accepted == 0)
		return outcome(out, SMTP_PERMFAIL, c, "RCPT TO");
	code = command(c, "DATA", "", "");
	if (code != 354)
		return outcome(out, code < 0 ? SMTP_TEMPFAIL : failed(code), c,
		    "DATA");
	smtp_reply_init(&c->r);      /* not the 354 */
	int sent = send_body(c, e);
	if (sent == -2) {
		out->verdict = SMTP_TEMPFAIL;
		snprintf(out->text, sizeof(out->text), "the store did not mark it"
		    " committing: not sent");
		return 0;
	}
	/* past the mark, no reply is no knowing: never sent again */
	if (sent < 0 || read_reply(c) < 0)
		return outcome(out, c->committed ? SMTP_UNKNOWN : SMTP_TEMPFAIL, c,
		    "end of data");
	code = c->r.code;
	c->reusable = true;
	outcome(out, code == 250 ? SMTP_SENT : failed(code), c, "end of data");
	/* the recipients it took have the data's reply, as the relay said it */
	for (size_t i = 0; i < e->nrcpts; i++)
		if (out->rcpt[i][0] == '2')
			keep_rcpt_reply(out, i, c);
	if (code == 250 && out->rejected > 0) {
		size_t n = strlen(out->text);
		snprintf(out->text + n, sizeof(out->text) - n,
		    " (%u recipient(s) refused)", out->rejected);
	}
	return 0;
}

/* The one relay connection, kept from one entry to the next. */
static struct conn sess = { .io = { .fd = -1 } };

bool
smtp_session_live(void)
{
	return sess.io.fd >= 0;
}

void
smtp_session_close(void)
{
	if (sess.io.fd < 0)
		return;
	/* QUIT without waiting for its 221: nothing is left to learn */
	(void)write_all(&sess, "QUIT\r\n", 6);
	smtp_io_end(&sess.io);
	close(sess.io.fd);
	sess.io.fd = -1;
}

/* A fresh outcome: nothing refused, no recipient's reply yet. */
static void
outcome_reset(struct smtp_outcome *out)
{
	out->rejected = 0;
	out->committed = out->stale = false;
	memset(out->rcpt, 0, sizeof(out->rcpt));
}

int
smtp_session_open(int fd, const struct smtp_opts *o, struct smtp_outcome *out)
{
	smtp_session_close();
	memset(&sess, 0, sizeof(sess));
	sess.io.fd = fd;
	sess.io.timeout_ms = o->timeout_ms;
	smtp_lines_init(&sess.in);
	errno = 0;
	outcome_reset(out);
	if (hello(&sess, o, out) == 0)
		return 0;
	smtp_io_end(&sess.io);
	close(fd);
	sess.io.fd = -1;
	return -1;
}

void
smtp_session_send(const struct store_outbox_entry *e,
    const struct smtp_commit *commit, struct smtp_outcome *out)
{
	sess.commit = commit;
	sess.committed = sess.reusable = false;
	outcome_reset(out);
	errno = 0;
	(void)transact(&sess, e, out);
	out->committed = sess.committed;
	/* anything short of the reply to the dot leaves a transaction open:
	 * that connection is not used again */
	if (!sess.reusable || ++sess.used >= SMTP_SESSION_MAX)
		smtp_session_close();
}
