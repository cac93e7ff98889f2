/* imap_cmd_auth: STARTTLS, LOGIN, AUTHENTICATE — the not-authenticated
 * state. SASL is relayed to authd (auth_client.h): imapd never sees the
 * password database, only the client's bytes and authd's verdict and
 * ticket, which it presents to the user's store shard. */
#include "config.h"
#include "base64.h"
#include "imap_commands.h"
#include "log.h"
#include "stats.h"
#include "worker_login.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static bool
plaintext_ok(const struct imap_session *s)
{
	return s->tls_active || s->opt->plaintext_auth;
}

int
imap_cmd_starttls(struct imap_session *s, struct imap_cmd *c)
{
	(void)c;
	if (s->tls_active) {
		imap_tagged(s, "BAD", NULL, "TLS is already active");
		return 0;
	}
	if (s->opt->tls == NULL || s->opt->tls_mode != TLS_STARTTLS) {
		imap_tagged(s, "BAD", NULL, "STARTTLS is not offered here");
		return 0;
	}
	imap_tagged(s, "OK", NULL, "Begin TLS negotiation now");
	if (worker_login_starttls(&s->conn, s->opt->tls,
	    s->opt->prelogin_timeout_s, s->user, &s->peer, s->peerlen,
	    &s->end_reason) < 0)
		return -1;
	s->tls_active = true;
	return 0;
}

static int
autocreate(struct imap_session *s)
{
	for (size_t i = 0; i < s->opt->nautocreate; i++) {
		const char *name = s->opt->autocreate[i].name;
		if (strcasecmp(name, "INBOX") == 0)
			continue;   /* always exists */
		uint64_t id;
		int rc = store_mbox_create(s->sc, name, s->opt->autocreate[i].use,
		    &id);
		if (imap_store_fatal(rc))
			return rc;
		if (rc < 0 && rc != STORE_E_EXISTS)
			log_warn("autocreate %s for %s: %s", name, s->user,
			    store_client_errmsg(s->sc));
	}
	return 0;
}

/* The store cannot serve this login: this process is done (crash-only;
 * the client may reconnect to a fresh one). */
static int
unavailable(struct imap_session *s)
{
	imap_tagged(s, "NO", "UNAVAILABLE", "Mail store unavailable");
	imap_untagged(s, "BYE Mail store unavailable");
	s->bye_sent = true;
	s->end_reason = "store-unavailable";
	return -1;
}

int
imap_login_done(struct imap_session *s, const struct auth_reply *r)
{
	const struct imap_options *o = s->opt;
	int rc = worker_login_store(&o->login, r, &s->ac, &s->sc, s->user,
	    sizeof(s->user));
	if (rc == -2)
		return -1;
	if (rc < 0)
		return unavailable(s);
	/* a user the store has never seen changed (state 0) gets the
	 * default mailboxes: users made with saslpasswd2 alone included */
	uint64_t state = 1;
	if ((rc = store_state(s->sc, &state)) < 0 ||
	    (state == 0 && (rc = autocreate(s)) < 0))
		return unavailable(s);
	imap_prelogin_end(s);
	s->state = IMAP_ST_AUTH;
	worker_login_ok(&s->conn, s->tls_active, s->user, &s->peer, s->peerlen);
	struct buf *b = imap_out_buf(s);
	buf_printf(b, "%s OK [CAPABILITY ", s->cmd->tag);
	imap_capabilities(s, b);
	buf_append_str(b, "] Logged in\r\n");
	return 0;
}

static int
auth_failed(struct imap_session *s, const struct auth_reply *r)
{
	stats_add(ST_AUTH_FAIL, 1);
	s->failed_auths++;
	switch (r->reason) {
	case AUTH_FAIL_RATE:
	case AUTH_FAIL_TEMPORARY:
		imap_tagged(s, "NO", "UNAVAILABLE", "%s", r->text[0] ? r->text :
		    "Try again later");
		break;
	case AUTH_FAIL_MECH:
		imap_tagged(s, "NO", "CANNOT", "Mechanism not available");
		break;
	case AUTH_FAIL_PROTOCOL:
		imap_tagged(s, "BAD", NULL, "Malformed authentication data");
		break;
	default:
		imap_tagged(s, "NO", "AUTHENTICATIONFAILED",
		    "Authentication failed");
		break;
	}
	return 0;
}

int
imap_cmd_login(struct imap_session *s, struct imap_cmd *c)
{
	struct imap_login_args *a = &c->a.login;
	int ret = 0;
	if (!plaintext_ok(s)) {
		/* authd never sees this attempt: this is its only line */
		char u[LOG_TOKEN_MAX];
		imap_log(s, LOG_LVL_INFO, "login refused", "reason=no-tls"
		    " command=LOGIN attempted=%s", log_token((const char *)
		    a->user.s, a->user.len, u, sizeof(u)));
		imap_tagged(s, "NO", "PRIVACYREQUIRED",
		    "LOGIN is disabled before STARTTLS");
		goto out;
	}
	if (s->ac == NULL) {
		imap_tagged(s, "NO", "UNAVAILABLE", "Authentication unavailable");
		goto out;
	}
	/* relay as SASL PLAIN: "" NUL user NUL password */
	uint8_t plain[AUTH_DATA_MAX];
	if (a->user.len == 0 || a->user.len + a->pass.len + 2 > sizeof(plain) ||
	    memchr(a->user.s, 0, a->user.len) != NULL ||
	    memchr(a->pass.s, 0, a->pass.len) != NULL) {
		stats_add(ST_AUTH_FAIL, 1);
		imap_tagged(s, "NO", "AUTHENTICATIONFAILED", "Authentication failed");
		goto out;
	}
	plain[0] = 0;
	memcpy(plain + 1, a->user.s, a->user.len);
	plain[1 + a->user.len] = 0;
	memcpy(plain + 2 + a->user.len, a->pass.s, a->pass.len);
	size_t n = a->user.len + a->pass.len + 2;
	struct auth_reply *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		explicit_bzero(plain, sizeof(plain));
		ret = -1;
		goto out;
	}
	enum auth_status st = auth_client_start(s->ac, "PLAIN", plain, n, r);
	explicit_bzero(plain, sizeof(plain));
	if (st == AUTH_ST_SUCCESS)
		ret = imap_login_done(s, r);
	else if (st == AUTH_ST_FAILURE)
		ret = auth_failed(s, r);
	else if (st == AUTH_ST_CHALLENGE) {
		imap_tagged(s, "NO", "AUTHENTICATIONFAILED", "Authentication failed");
	} else {
		imap_untagged(s, "BYE Authentication service unavailable");
		s->bye_sent = true;
		s->end_reason = "auth-unavailable";
		ret = -1;
	}
	auth_reply_wipe(r);
	free(r);
out:
	explicit_bzero((void *)a->pass.s, a->pass.len);
	imap_reader_wipe(&s->rd);
	return ret;
}

/* Read the client's answer to a "+ challenge" line: one line of base64,
 * or "*" to cancel. 1 with data, 0 cancelled, -1 connection gone,
 * -2 malformed. */
static int
read_response(struct imap_session *s, uint8_t *dst, size_t dstsize,
    size_t *outlen)
{
	if (client_conn_flush(&s->conn) < 0)
		return -1;
	imap_reader_next(&s->rd);
	for (;;) {
		size_t avail;
		const uint8_t *in = client_conn_input(&s->conn, &avail);
		if (avail == 0) {
			enum client_wait w = client_conn_wait(&s->conn, -1,
			    (int)s->opt->prelogin_timeout_s * 1000);
			if (w != CLIENT_WAIT_INPUT)
				return -1;
			continue;
		}
		size_t used;
		enum imap_rd_event ev = imap_reader_feed(&s->rd, in, avail, &used);
		client_conn_consume(&s->conn, used);
		if (ev == RD_MORE)
			continue;
		if (ev != RD_COMMAND)
			return -2;
		size_t len;
		const char *t = (const char *)imap_reader_text(&s->rd, &len);
		while (len > 0 && (t[len - 1] == '\n' || t[len - 1] == '\r'))
			len--;
		int r;
		if (len == 1 && t[0] == '*')
			r = 0;
		else
			r = base64_decode(t, len, dst, dstsize, outlen) < 0 ?
			    -2 : 1;
		imap_reader_wipe(&s->rd);
		imap_reader_next(&s->rd);
		return r;
	}
}

static void
send_challenge(struct imap_session *s, const uint8_t *p, size_t n)
{
	struct buf *b = imap_out_buf(s);
	buf_append_str(b, "+ ");
	base64_encode(p, n, b);
	buf_append_str(b, "\r\n");
}

int
imap_cmd_authenticate(struct imap_session *s, struct imap_cmd *c)
{
	struct imap_auth_args *a = &c->a.auth;
	if (s->ac == NULL) {
		imap_tagged(s, "NO", "UNAVAILABLE", "Authentication unavailable");
		return 0;
	}
	const struct auth_mech *m = auth_client_find_mech(s->ac, a->mech);
	if (m == NULL) {
		imap_tagged(s, "NO", "CANNOT", "Unsupported mechanism");
		return 0;
	}
	if ((m->flags & AUTH_MECH_PLAINTEXT) && !plaintext_ok(s)) {
		imap_log(s, LOG_LVL_INFO, "login refused", "reason=no-tls"
		    " command=AUTHENTICATE mech=%s", m->name);
		imap_tagged(s, "NO", "PRIVACYREQUIRED",
		    "This mechanism needs TLS first");
		return 0;
	}
	/* on the heap, wiped and freed after: an idle session keeps nothing */
	struct authbuf {
		uint8_t data[AUTH_DATA_MAX];
		struct auth_reply r;
	} *ab = calloc(1, sizeof(*ab));
	if (ab == NULL)
		return -1;
	uint8_t *data = ab->data;
	struct auth_reply *rp = &ab->r;
	size_t n = 0;
	enum auth_status st;
	if (a->has_ir) {
		if (base64_decode(a->ir.s, a->ir.len, data, AUTH_DATA_MAX,
		    &n) < 0) {
			imap_tagged(s, "BAD", NULL, "Invalid base64");
			free(ab);
			return 0;
		}
		st = auth_client_start(s->ac, m->name, data, n, rp);
	} else {
		st = auth_client_start(s->ac, m->name, NULL, 0, rp);
	}
	explicit_bzero(data, AUTH_DATA_MAX);
	imap_reader_wipe(&s->rd);
	/* the tag must survive the reader being reused for the answers */
	char tag[sizeof(c->tag)];
	memcpy(tag, c->tag, sizeof(tag));
	int ret = 0;
	for (int steps = 0; st == AUTH_ST_CHALLENGE; steps++) {
		send_challenge(s, rp->data, rp->data_len);
		int got = steps < 16 ? read_response(s, data, AUTH_DATA_MAX, &n) :
		    -2;
		memcpy(c->tag, tag, sizeof(tag));
		if (got == -1) {
			ret = -1;
			goto out;
		}
		if (got == 0) {
			imap_tagged(s, "BAD", NULL, "Authentication cancelled");
			goto out;
		}
		if (got == -2) {
			imap_tagged(s, "BAD", NULL, "Invalid authentication response");
			goto out;
		}
		st = auth_client_step(s->ac, data, n, rp);
		explicit_bzero(data, AUTH_DATA_MAX);
	}
	if (st == AUTH_ST_SUCCESS && rp->has_data) {
		/* final server data (SCRAM's v=): one more continuation, which
		 * the client answers with an empty line (RFC 9051 6.2.2) */
		send_challenge(s, rp->data, rp->data_len);
		int got = read_response(s, data, AUTH_DATA_MAX, &n);
		memcpy(c->tag, tag, sizeof(tag));
		if (got == -1) {
			ret = -1;
			goto out;
		}
		if (got != 1 || n != 0) {
			imap_tagged(s, "BAD", NULL, "Expected an empty response");
			goto out;
		}
	}
	if (st == AUTH_ST_SUCCESS)
		ret = imap_login_done(s, rp);
	else if (st == AUTH_ST_FAILURE)
		ret = auth_failed(s, rp);
	else {
		imap_untagged(s, "BYE Authentication service unavailable");
		s->bye_sent = true;
		s->end_reason = "auth-unavailable";
		ret = -1;
	}
out:
	explicit_bzero(ab, sizeof(*ab));
	free(ab);
	return ret;
}
