/* ms_auth: STARTTLS, AUTHENTICATE (UNAUTHENTICATE: ms_unauth.c). SASL is
 * relayed to authd (auth_client.h): the worker never sees the password
 * database, only the client's bytes and authd's verdict and ticket, which
 * it presents to the user's store shard — as imapd does, with the same refusals logged. */
#include "ms_session.h"
#include "base64.h"
#include "config.h"
#include "stats.h"
#include "worker_login.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The limits once logged in: a script in a literal, short lines. */
void
ms_logged_in_limits(const struct ms_options *o, struct ms_limits *lim)
{
	lim->max_line = 8192;
	lim->max_literal = o->max_script_size;
	lim->max_command = (size_t)o->max_script_size + 2 * 8192;
}

static bool
plaintext_ok(const struct ms_session *s)
{
	return s->tls_active || s->opt->plaintext_auth;
}

int
ms_cmd_starttls(struct ms_session *s, const struct ms_token *a, int n)
{
	(void)a;
	if (n != 0 || s->tls_active || s->opt->tls == NULL ||
	    s->opt->tls_mode != TLS_STARTTLS) {
		ms_reply(s, "NO", NULL, "STARTTLS is not offered here");
		return 0;
	}
	ms_reply(s, "OK", NULL, "Begin TLS negotiation now");
	if (worker_login_starttls(&s->conn, s->opt->tls,
	    s->opt->prelogin_timeout_s, s->user, &s->peer, s->peerlen,
	    &s->end_reason) < 0)
		return -1;
	s->tls_active = true;
	/* RFC 5804 2.2: the capabilities again, now under TLS */
	ms_capabilities(s);
	ms_reply(s, "OK", NULL, "TLS active");
	return 0;
}

/* The store cannot serve this login: the process is done. */
static int
unavailable(struct ms_session *s)
{
	ms_reply(s, "NO", "TRYLATER", "Mail store unavailable");
	ms_reply(s, "BYE", "TRYLATER", "Mail store unavailable");
	s->bye_sent = true;
	s->end_reason = "store-unavailable";
	return -1;
}

static int
login_done(struct ms_session *s, const struct auth_reply *r)
{
	const struct ms_options *o = s->opt;
	int rc = worker_login_store(&s->login, r, &s->ac, &s->sc, s->user,
	    sizeof(s->user));
	/* the user's shard is sc's now, the others are closed; on success
	 * authd's channel is closed too (one login per channel) */
	for (size_t i = 0; i < CLOISTER_MAX_SHARDS; i++)
		s->login.store_fd[i] = -1;
	if (rc == 0)
		s->login.auth_fd = -1;
	if (rc == -2)
		return -1;
	if (rc < 0)
		return unavailable(s);
	s->state = MS_ST_AUTH;
	s->logged_in_once = true;
	client_conn_set_deadline(&s->conn, 0);
	struct ms_limits lim;
	ms_logged_in_limits(o, &lim);
	ms_reader_set_limits(&s->rd, &lim, false);
	worker_login_ok(&s->conn, s->tls_active, s->user, &s->peer, s->peerlen);
	if (r->has_data) {
		/* final server data goes with the OK (RFC 5804 2.1) */
		struct buf b64 = BUF_INIT(2 * AUTH_DATA_MAX);
		base64_encode(r->data, r->data_len, &b64);
		struct buf *b = &s->conn.out;
		buf_append_str(b, "OK (SASL ");
		ms_put_string(b, (const char *)b64.data, b64.len);
		buf_append_str(b, ") \"Logged in\"\r\n");
		buf_free(&b64);
	} else
		ms_reply(s, "OK", NULL, "Logged in");
	return 0;
}

static int
auth_failed(struct ms_session *s, const struct auth_reply *r)
{
	stats_add(ST_AUTH_FAIL, 1);
	s->failed_auths++;
	switch (r->reason) {
	case AUTH_FAIL_RATE:
	case AUTH_FAIL_TEMPORARY:
		ms_reply(s, "NO", "TRYLATER", "%s", r->text[0] ? r->text :
		    "Try again later");
		break;
	case AUTH_FAIL_MECH:
		ms_reply(s, "NO", NULL, "Mechanism not available");
		break;
	case AUTH_FAIL_PROTOCOL:
		ms_reply(s, "NO", NULL, "Malformed authentication data");
		break;
	default:
		ms_reply(s, "NO", NULL, "Authentication failed");
		break;
	}
	return 0;
}

/* The client's answer to a challenge: one string of base64, or "*" to
 * cancel. 1 with data, 0 cancelled, -1 connection gone, -2 malformed. */
static int
read_response(struct ms_session *s, uint8_t *dst, size_t dstsize,
    size_t *outlen)
{
	ms_reader_next(&s->rd);
	enum ms_rd_event ev;
	if (ms_next_event(s, &ev) < 0)
		return -1;
	if (ev != MS_RD_COMMAND)
		return -2;
	size_t len;
	uint8_t *t = ms_reader_text(&s->rd, &len);
	struct ms_token tok[1];
	const char *err;
	int r = -2;
	if (ms_parse_tokens(t, len, tok, 1, &err) == 1 &&
	    tok[0].type == MS_TOK_STRING) {
		if (tok[0].len == 1 && tok[0].s[0] == '*' && !tok[0].literal)
			r = 0;
		else
			r = base64_decode(tok[0].s, tok[0].len, dst, dstsize,
			    outlen) < 0 ? -2 : 1;
	}
	ms_reader_next(&s->rd);
	return r;
}

static void
send_challenge(struct ms_session *s, const uint8_t *p, size_t n)
{
	struct buf b64 = BUF_INIT(2 * AUTH_DATA_MAX);
	base64_encode(p, n, &b64);
	ms_put_string(&s->conn.out, (const char *)b64.data, b64.len);
	buf_append_str(&s->conn.out, "\r\n");
	buf_free(&b64);
}

/* Checks before any exchange: a reply was given when it returns NULL. */
static const struct auth_mech *
auth_mech(struct ms_session *s, const struct ms_token *a, int n)
{
	if (n < 1 || n > 2 || a[0].type != MS_TOK_STRING ||
	    (n == 2 && a[1].type != MS_TOK_STRING) ||
	    a[0].len > AUTH_MECH_NAME_MAX) {
		ms_reply(s, "NO", NULL, "AUTHENTICATE needs a mechanism name");
		return NULL;
	}
	if (s->logged_in_once) {
		/* a process serves one user: the next login is a new one */
		ms_reply(s, "NO", NULL, "Reconnect to log in again");
		return NULL;
	}
	if (s->ac == NULL) {
		ms_reply(s, "NO", "TRYLATER", "Authentication unavailable");
		return NULL;
	}
	char name[AUTH_MECH_NAME_MAX + 1];
	memcpy(name, a[0].s, a[0].len);
	name[a[0].len] = '\0';
	const struct auth_mech *m = auth_client_find_mech(s->ac, name);
	if (m == NULL) {
		ms_reply(s, "NO", NULL, "Unsupported mechanism");
		return NULL;
	}
	if ((m->flags & AUTH_MECH_PLAINTEXT) && !plaintext_ok(s)) {
		ms_log(s, LOG_LVL_INFO, "login refused", "reason=no-tls"
		    " command=AUTHENTICATE mech=%s", m->name);
		ms_reply(s, "NO", "ENCRYPT-NEEDED", "This mechanism needs TLS first");
		return NULL;
	}
	return m;
}

/* Challenges until a verdict; ret is -1 to end the session. */
static enum auth_status
exchange(struct ms_session *s, enum auth_status st, uint8_t *data,
    struct auth_reply *rp, int *ret)
{
	size_t n = 0;
	for (int steps = 0; st == AUTH_ST_CHALLENGE; steps++) {
		send_challenge(s, rp->data, rp->data_len);
		int got = steps < 16 ? read_response(s, data, AUTH_DATA_MAX, &n) :
		    -2;
		if (got == -1) {
			*ret = -1;
			return AUTH_ST_ERROR;
		}
		if (got <= 0) {
			ms_reply(s, "NO", NULL, got == 0 ? "Authentication cancelled" :
			    "Invalid authentication response");
			return AUTH_ST_FAILURE;
		}
		st = auth_client_step(s->ac, data, n, rp);
		explicit_bzero(data, AUTH_DATA_MAX);
	}
	if (st == AUTH_ST_FAILURE)
		*ret = auth_failed(s, rp);
	return st;
}

int
ms_cmd_authenticate(struct ms_session *s, const struct ms_token *a, int n)
{
	const struct auth_mech *m = auth_mech(s, a, n);
	if (m == NULL)
		return 0;
	/* on the heap, wiped and freed after */
	struct authbuf {
		uint8_t data[AUTH_DATA_MAX];
		struct auth_reply r;
	} *ab = calloc(1, sizeof(*ab));
	if (ab == NULL)
		return -1;
	size_t len = 0;
	enum auth_status st;
	if (n == 2) {
		if (base64_decode(a[1].s, a[1].len, ab->data, AUTH_DATA_MAX,
		    &len) < 0) {
			ms_reply(s, "NO", NULL, "Invalid base64");
			free(ab);
			return 0;
		}
		st = auth_client_start(s->ac, m->name, ab->data, len, &ab->r);
	} else
		st = auth_client_start(s->ac, m->name, NULL, 0, &ab->r);
	explicit_bzero(ab->data, AUTH_DATA_MAX);
	ms_reader_next(&s->rd);   /* the initial response is wiped */
	int ret = 0;
	if (st == AUTH_ST_CHALLENGE)
		st = exchange(s, st, ab->data, &ab->r, &ret);
	else if (st == AUTH_ST_FAILURE)
		ret = auth_failed(s, &ab->r);
	if (st == AUTH_ST_SUCCESS)
		ret = login_done(s, &ab->r);
	else if (st == AUTH_ST_ERROR && ret == 0) {
		ms_reply(s, "BYE", "TRYLATER", "Authentication service unavailable");
		s->bye_sent = true;
		s->end_reason = "auth-unavailable";
		ret = -1;
	}
	explicit_bzero(ab, sizeof(*ab));
	free(ab);
	return ret;
}
