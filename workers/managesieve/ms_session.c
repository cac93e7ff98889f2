/* ms_session: the command loop, the dispatch table and the answers
 * (ms_session.h). */
#include "ms_session.h"
#include "config.h"
#include "session_log.h"
#include "stats.h"
#include "sv_table.h"

#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Consecutive malformed commands before the session is closed. */
#define MAX_BAD_IN_A_ROW 10
/* RFC 5804 1.7 MAXREDIRECTS: what one run may redirect (sieve_run.h's
 * default budget, which lmtpd runs under). */
#define MS_MAX_REDIRECTS 4
/* What the kernel may queue for an unauthenticated client. */
#define PRELOGIN_RCVBUF (16 * 1024)

typedef int (*ms_handler)(struct ms_session *, const struct ms_token *, int);

static const struct {
	const char *name;
	unsigned states;
	ms_handler fn;
} dispatch[] = {
	{ "STARTTLS", MS_ST_NOT_AUTH, ms_cmd_starttls },
	{ "AUTHENTICATE", MS_ST_NOT_AUTH, ms_cmd_authenticate },
	{ "UNAUTHENTICATE", MS_ST_AUTH, ms_cmd_unauthenticate },
	{ "PUTSCRIPT", MS_ST_AUTH, ms_cmd_putscript },
	{ "CHECKSCRIPT", MS_ST_AUTH, ms_cmd_checkscript },
	{ "GETSCRIPT", MS_ST_AUTH, ms_cmd_getscript },
	{ "SETACTIVE", MS_ST_AUTH, ms_cmd_setactive },
	{ "LISTSCRIPTS", MS_ST_AUTH, ms_cmd_listscripts },
	{ "DELETESCRIPT", MS_ST_AUTH, ms_cmd_deletescript },
	{ "RENAMESCRIPT", MS_ST_AUTH, ms_cmd_renamescript },
	{ "HAVESPACE", MS_ST_AUTH, ms_cmd_havespace },
};

void
ms_put_string(struct buf *b, const char *s, size_t len)
{
	bool plain = len <= 1024;
	for (size_t i = 0; plain && i < len; i++)
		if (s[i] == '"' || s[i] == '\\' || s[i] == '\r' ||
		    s[i] == '\n' || s[i] == '\0')
			plain = false;
	if (plain) {
		buf_append_byte(b, '"');
		buf_append(b, s, len);
		buf_append_byte(b, '"');
		return;
	}
	buf_printf(b, "{%zu}\r\n", len);
	buf_append(b, s, len);
}

void
ms_reply(struct ms_session *s, const char *status, const char *code,
    const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(text))
		n = sizeof(text) - 1;
	struct buf *b = &s->conn.out;
	buf_append_str(b, status);
	if (code != NULL)
		buf_printf(b, " (%s)", code);
	if (n > 0) {
		buf_append_byte(b, ' ');
		ms_put_string(b, text, (size_t)n);
	}
	buf_append_str(b, "\r\n");
	if (strcmp(status, "OK") != 0)
		stats_add(ST_ERRORS, 1);
}

static bool
plaintext_ok(const struct ms_session *s)
{
	return s->tls_active || s->opt->plaintext_auth;
}

static void
cap_line(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, "\"%s\"", name);
	if (value != NULL) {
		buf_append_byte(b, ' ');
		ms_put_string(b, value, strlen(value));
	}
	buf_append_str(b, "\r\n");
}

void
ms_capabilities(struct ms_session *s)
{
	struct buf *b = &s->conn.out;
	cap_line(b, "IMPLEMENTATION", s->opt->server_name);
	/* mechanisms that send a password only where it stays private */
	char mechs[256] = "";
	size_t off = 0;
	const struct auth_mech *m;
	size_t nm;
	if (s->state == MS_ST_NOT_AUTH && s->ac != NULL &&
	    auth_client_mechs(s->ac, &m, &nm) == 0) {
		for (size_t i = 0; i < nm; i++) {
			if ((m[i].flags & AUTH_MECH_PLAINTEXT) && !plaintext_ok(s))
				continue;
			int w = snprintf(mechs + off, sizeof(mechs) - off, "%s%s",
			    off ? " " : "", m[i].name);
			if (w < 0 || (size_t)w >= sizeof(mechs) - off)
				break;
			off += (size_t)w;
		}
	}
	cap_line(b, "SASL", mechs);
	char ext[1024] = "";
	off = 0;
	for (int i = SV_EXT_CORE + 1; i < SV_EXT_COUNT; i++) {
		int w = snprintf(ext + off, sizeof(ext) - off, "%s%s",
		    off ? " " : "", sv_ext_names[i]);
		if (w < 0 || (size_t)w >= sizeof(ext) - off)
			break;
		off += (size_t)w;
	}
	cap_line(b, "SIEVE", ext);
	if (s->state == MS_ST_NOT_AUTH && !s->tls_active &&
	    s->opt->tls != NULL && s->opt->tls_mode == TLS_STARTTLS)
		cap_line(b, "STARTTLS", NULL);
	cap_line(b, "NOTIFY", "mailto");
	char num[24];
	snprintf(num, sizeof(num), "%d", MS_MAX_REDIRECTS);
	cap_line(b, "MAXREDIRECTS", num);
	if (s->state == MS_ST_AUTH)
		cap_line(b, "OWNER", s->user);
	if (s->state == MS_ST_AUTH && ms_unauth_offered(s))
		cap_line(b, "UNAUTHENTICATE", NULL);
	cap_line(b, "VERSION", "1.0");
}

bool
ms_store_error(struct ms_session *s, int rc, const char *what)
{
	const char *msg = s->sc != NULL ? store_client_errmsg(s->sc) : "";
	switch (rc) {
	case STORE_E_NOTFOUND:
		ms_reply(s, "NO", "NONEXISTENT", "%s: no such script", what);
		return false;
	case STORE_E_EXISTS:
		ms_reply(s, "NO", "ALREADYEXISTS", "%s: a script of that name "
		    "exists", what);
		return false;
	case STORE_E_CONFLICT:
		ms_reply(s, "NO", "ACTIVE", "%s: the script is active", what);
		return false;
	case STORE_E_QUOTA:
	case STORE_E_NOSPACE:
		ms_log(s, LOG_LVL_INFO, "over quota", "command=%s", what);
		ms_reply(s, "NO", strstr(msg, "scripts") ? "QUOTA/MAXSCRIPTS" :
		    strstr(msg, "size") ? "QUOTA/MAXSIZE" : "QUOTA",
		    "%s: %s", what, msg[0] ? msg : "over quota");
		return false;
	case STORE_E_TEMPORARY:
		ms_reply(s, "NO", "TRYLATER", "%s: try again later", what);
		return false;
	case STORE_E_IO:
	case STORE_E_PROTO:
		log_err("store channel lost during %s: %s", what, msg);
		ms_reply(s, "NO", "TRYLATER", "%s: mail store unavailable", what);
		ms_reply(s, "BYE", "TRYLATER", "Mail store unavailable");
		s->bye_sent = true;
		s->end_reason = "store-unavailable";
		return true;
	case STORE_E_ARG:
	case STORE_E_LIMIT:
		ms_reply(s, "NO", NULL, "%s: request too large", what);
		return false;
	default:
		ms_reply(s, "NO", NULL, "%s failed%s%s", what, msg[0] ? ": " : "",
		    msg);
		return false;
	}
}

void
ms_log(struct ms_session *s, enum log_level lvl, const char *event,
    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	session_vlog(lvl, event, s->user, &s->peer, s->peerlen, fmt, ap);
	va_end(ap);
}

static int
cmd_simple(struct ms_session *s, const char *name, const struct ms_token *a,
    int n)
{
	if (strcasecmp(name, "CAPABILITY") == 0 && n == 0) {
		ms_capabilities(s);
		ms_reply(s, "OK", NULL, "Capability completed");
	} else if (strcasecmp(name, "LOGOUT") == 0 && n == 0) {
		ms_reply(s, "OK", NULL, "Logout completed");
		s->state = MS_ST_LOGOUT;
	} else if (strcasecmp(name, "NOOP") == 0 && n <= 1 &&
	    (n == 0 || a[0].type == MS_TOK_STRING)) {
		/* RFC 5804 2.13: the tag comes back in a TAG response code */
		if (n == 1) {
			struct buf *b = &s->conn.out;
			buf_append_str(b, "OK (TAG ");
			ms_put_string(b, a[0].s, a[0].len);
			buf_append_str(b, ") \"Done\"\r\n");
		} else
			ms_reply(s, "OK", NULL, "Done");
	} else
		return 1;
	return 0;
}

/* Parse and run the command the reader completed. -1: end. */
static int
command(struct ms_session *s, unsigned *bad_row)
{
	size_t len;
	uint8_t *t = ms_reader_text(&s->rd, &len);
	struct ms_token tok[MS_MAX_TOKENS];
	const char *err = NULL;
	int n = ms_parse_tokens(t, len, tok, MS_MAX_TOKENS, &err);
	stats_add(ST_COMMANDS, 1);
	if (n == 0)
		return 0;   /* an empty line */
	if (n < 0 || tok[0].type != MS_TOK_ATOM || tok[0].len > 20) {
		ms_reply(s, "NO", NULL, "%s", n < 0 ? err : "Expected a command");
		return ++(*bad_row) >= MAX_BAD_IN_A_ROW ? -1 : 0;
	}
	char name[24];
	memcpy(name, tok[0].s, tok[0].len);
	name[tok[0].len] = '\0';
	int r = cmd_simple(s, name, tok + 1, n - 1);
	if (r <= 0) {
		*bad_row = 0;
		return r;
	}
	for (size_t i = 0; i < sizeof(dispatch) / sizeof(dispatch[0]); i++) {
		if (strcasecmp(name, dispatch[i].name) != 0)
			continue;
		if (!(dispatch[i].states & s->state)) {
			ms_reply(s, "NO", NULL, s->state == MS_ST_NOT_AUTH ?
			    "Authenticate first" : "Not valid in this state");
			return ++(*bad_row) >= MAX_BAD_IN_A_ROW ? -1 : 0;
		}
		*bad_row = 0;
		return dispatch[i].fn(s, tok + 1, n - 1);
	}
	ms_reply(s, "NO", NULL, "Unknown command or wrong arguments");
	return ++(*bad_row) >= MAX_BAD_IN_A_ROW ? -1 : 0;
}

/* Wait for input; false when the session must end (after a BYE). */
static bool
wait_input(struct ms_session *s)
{
	if (client_conn_flush(&s->conn) < 0)
		return false;
	unsigned to = s->state == MS_ST_NOT_AUTH ? s->opt->prelogin_timeout_s :
	    s->opt->idle_timeout_s;
	enum client_wait w = client_conn_wait(&s->conn, -1, 200);
	if (w == CLIENT_WAIT_TIMEOUT) {
		/* going idle: what the last command held goes back */
		ms_reader_release(&s->rd);
		client_conn_release(&s->conn);
		malloc_trim(0);
		w = client_conn_wait(&s->conn, -1, (int)to * 1000 - 200);
	}
	if (w == CLIENT_WAIT_TIMEOUT) {
		ms_reply(s, "BYE", NULL, s->state == MS_ST_NOT_AUTH ?
		    "Login time limit reached" : "Idle for too long");
		s->bye_sent = true;
		s->end_reason = s->state == MS_ST_NOT_AUTH ? "prelogin-timeout" :
		    "idle-timeout";
		return false;
	}
	return w == CLIENT_WAIT_INPUT;
}

int
ms_next_event(struct ms_session *s, enum ms_rd_event *ev)
{
	for (;;) {
		size_t avail;
		const uint8_t *in = client_conn_input(&s->conn, &avail);
		if (avail == 0) {
			if (!wait_input(s))
				return -1;
			continue;
		}
		size_t used;
		*ev = ms_reader_feed(&s->rd, in, avail, &used);
		client_conn_consume(&s->conn, used);
		if (*ev != MS_RD_MORE)
			return 0;
	}
}

static void
serve(struct ms_session *s)
{
	unsigned bad_row = 0;
	while (s->state != MS_ST_LOGOUT && !s->conn.failed) {
		enum ms_rd_event ev;
		if (ms_next_event(s, &ev) < 0)
			return;
		if (ev == MS_RD_FATAL) {
			ms_reply(s, "BYE", NULL, "%s", s->rd.reason);
			s->bye_sent = true;
			s->end_reason = "protocol-error";
			return;
		}
		int r = 0;
		if (ev == MS_RD_REJECT)
			ms_reply(s, "NO", s->state == MS_ST_AUTH ? "QUOTA/MAXSIZE" :
			    NULL, "%s", s->rd.reason);
		else
			r = command(s, &bad_row);
		ms_reader_next(&s->rd);
		if (r < 0) {
			if (!s->bye_sent && !s->conn.failed) {
				ms_reply(s, "BYE", NULL, "Too many errors");
				s->bye_sent = true;
				if (s->end_reason == NULL)
					s->end_reason = "bad-commands";
			}
			return;
		}
		if (client_conn_maybe_flush(&s->conn) < 0)
			return;
	}
}

static void
log_end(struct ms_session *s)
{
	const char *why = s->state == MS_ST_LOGOUT ? "logout" :
	    s->end_reason != NULL ? s->end_reason :
	    s->conn.eof ? "closed" : "error";
	int64_t ms = client_conn_now_ms() - s->started_ms;
	ms_log(s, LOG_LVL_INFO, "session end", "reason=%s duration=%lld.%03llds"
	    " in=%llu out=%llu auth_failures=%u", why, (long long)(ms / 1000),
	    (long long)(ms % 1000), (unsigned long long)s->conn.bytes_in,
	    (unsigned long long)s->conn.bytes_out, s->failed_auths);
}

void
ms_session_run(const struct ms_options *opt, int fd,
    const struct sockaddr_storage *peer, socklen_t peerlen)
{
	static struct ms_session sess;
	struct ms_session *s = &sess;
	memset(s, 0, sizeof(*s));
	s->opt = opt;
	s->state = MS_ST_NOT_AUTH;
	if (peer != NULL && peerlen <= sizeof(s->peer)) {
		memcpy(&s->peer, peer, peerlen);
		s->peerlen = peerlen;
	}
	s->started_ms = client_conn_now_ms();
	stats_add(ST_CONNECTIONS, 1);
	int v = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v));
	v = PRELOGIN_RCVBUF;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	client_conn_init(&s->conn, fd, 5 * 60 * 1000);
	/* before login one deadline cuts every wait, the handshake included */
	client_conn_set_deadline(&s->conn, s->started_ms +
	    (int64_t)opt->prelogin_timeout_s * 1000);
	static const struct ms_limits pre = MS_PRELOGIN_LIMITS;
	ms_reader_init(&s->rd, &pre, true);
	s->login = opt->login;
	s->ac = worker_login_authd(&s->login);
	if (worker_login_implicit_tls(&s->conn, opt->tls_mode, opt->tls,
	    opt->prelogin_timeout_s, &s->tls_active, &s->end_reason) < 0)
		goto out;
	ms_capabilities(s);
	ms_reply(s, "OK", NULL, "%s ManageSieve ready", opt->server_name);
	serve(s);
	(void)client_conn_flush(&s->conn);
	if (s->conn.tls != NULL && !s->conn.failed)
		tls_shutdown(s->conn.tls);
out:
	log_end(s);
	worker_session_end(&s->conn, s->ac, s->sc);
	ms_reader_free(&s->rd);
	client_conn_free(&s->conn);
}
