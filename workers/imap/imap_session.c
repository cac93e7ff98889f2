/* imap_session: the command loop and the dispatch table (imap_session.h). */
#include "imap_session.h"
#include "config.h"
#include "imap_commands.h"
#include "imap_mutf7.h"
#include "imap_out.h"
#include "log.h"
#include "stats.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <malloc.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum cmd_flags {
	/* non-UID form: no EXPUNGE responses while it runs (RFC 9051 7.5.1) */
	CF_NO_EXPUNGE = 1u << 0,
	/* sync the selected mailbox before running (sequence numbers) */
	CF_SYNC_FIRST = 1u << 1,
};

#define ANY (IMAP_ST_NOT_AUTH | IMAP_ST_AUTH | IMAP_ST_SELECTED)
#define AUTHED (IMAP_ST_AUTH | IMAP_ST_SELECTED)
#define SEL IMAP_ST_SELECTED

/* The one table: command -> states it is valid in, handler, flags. */
static const struct {
	enum imap_cmd_id id;
	unsigned states;
	imap_handler fn;
	unsigned flags;
} dispatch[IMAP_CMD_COUNT] = {
	[IMAP_CMD_CAPABILITY] = { IMAP_CMD_CAPABILITY, ANY, imap_cmd_capability, 0 },
	[IMAP_CMD_NOOP] = { IMAP_CMD_NOOP, ANY, imap_cmd_noop, 0 },
	[IMAP_CMD_LOGOUT] = { IMAP_CMD_LOGOUT, ANY, imap_cmd_logout, 0 },
	[IMAP_CMD_ID] = { IMAP_CMD_ID, ANY, imap_cmd_id, 0 },
	[IMAP_CMD_STARTTLS] = { IMAP_CMD_STARTTLS, IMAP_ST_NOT_AUTH, imap_cmd_starttls, 0 },
	[IMAP_CMD_AUTHENTICATE] = { IMAP_CMD_AUTHENTICATE, IMAP_ST_NOT_AUTH, imap_cmd_authenticate, 0 },
	[IMAP_CMD_LOGIN] = { IMAP_CMD_LOGIN, IMAP_ST_NOT_AUTH, imap_cmd_login, 0 },
	[IMAP_CMD_ENABLE] = { IMAP_CMD_ENABLE, AUTHED, imap_cmd_enable, 0 },
	[IMAP_CMD_NAMESPACE] = { IMAP_CMD_NAMESPACE, AUTHED, imap_cmd_namespace, 0 },
	[IMAP_CMD_SELECT] = { IMAP_CMD_SELECT, AUTHED, imap_cmd_select, 0 },
	[IMAP_CMD_EXAMINE] = { IMAP_CMD_EXAMINE, AUTHED, imap_cmd_select, 0 },
	[IMAP_CMD_CREATE] = { IMAP_CMD_CREATE, AUTHED, imap_cmd_create, 0 },
	[IMAP_CMD_DELETE] = { IMAP_CMD_DELETE, AUTHED, imap_cmd_delete, 0 },
	[IMAP_CMD_RENAME] = { IMAP_CMD_RENAME, AUTHED, imap_cmd_rename, 0 },
	[IMAP_CMD_SUBSCRIBE] = { IMAP_CMD_SUBSCRIBE, AUTHED, imap_cmd_subscribe, 0 },
	[IMAP_CMD_UNSUBSCRIBE] = { IMAP_CMD_UNSUBSCRIBE, AUTHED, imap_cmd_subscribe, 0 },
	[IMAP_CMD_LIST] = { IMAP_CMD_LIST, AUTHED, imap_cmd_list, 0 },
	[IMAP_CMD_LSUB] = { IMAP_CMD_LSUB, AUTHED, imap_cmd_list, 0 },
	[IMAP_CMD_STATUS] = { IMAP_CMD_STATUS, AUTHED, imap_cmd_status, 0 },
	[IMAP_CMD_APPEND] = { IMAP_CMD_APPEND, AUTHED, imap_cmd_append, 0 },
	[IMAP_CMD_IDLE] = { IMAP_CMD_IDLE, AUTHED, imap_cmd_idle, 0 },
	[IMAP_CMD_GETQUOTA] = { IMAP_CMD_GETQUOTA, AUTHED, imap_cmd_getquota, 0 },
	[IMAP_CMD_GETQUOTAROOT] = { IMAP_CMD_GETQUOTAROOT, AUTHED, imap_cmd_getquota, 0 },
	[IMAP_CMD_SETQUOTA] = { IMAP_CMD_SETQUOTA, AUTHED, imap_cmd_setquota, 0 },
	[IMAP_CMD_CHECK] = { IMAP_CMD_CHECK, SEL, imap_cmd_noop, 0 },
	[IMAP_CMD_CLOSE] = { IMAP_CMD_CLOSE, SEL, imap_cmd_close, 0 },
	[IMAP_CMD_UNSELECT] = { IMAP_CMD_UNSELECT, SEL, imap_cmd_close, 0 },
	[IMAP_CMD_EXPUNGE] = { IMAP_CMD_EXPUNGE, SEL, imap_cmd_expunge, CF_SYNC_FIRST },
	[IMAP_CMD_SEARCH] = { IMAP_CMD_SEARCH, SEL, imap_cmd_search, CF_NO_EXPUNGE | CF_SYNC_FIRST },
	[IMAP_CMD_SORT] = { IMAP_CMD_SORT, SEL, imap_cmd_search, CF_NO_EXPUNGE | CF_SYNC_FIRST },
	[IMAP_CMD_THREAD] = { IMAP_CMD_THREAD, SEL, imap_cmd_search, CF_NO_EXPUNGE | CF_SYNC_FIRST },
	[IMAP_CMD_FETCH] = { IMAP_CMD_FETCH, SEL, imap_cmd_fetch, CF_NO_EXPUNGE | CF_SYNC_FIRST },
	[IMAP_CMD_STORE] = { IMAP_CMD_STORE, SEL, imap_cmd_store, CF_NO_EXPUNGE | CF_SYNC_FIRST },
	[IMAP_CMD_COPY] = { IMAP_CMD_COPY, SEL, imap_cmd_copy, CF_NO_EXPUNGE | CF_SYNC_FIRST },
	[IMAP_CMD_MOVE] = { IMAP_CMD_MOVE, SEL, imap_cmd_copy, CF_SYNC_FIRST },
};

/* Give back the stack pages the last command's deep calls touched (MIME
 * parsing, formatting): everything more than a margin below this frame is
 * unused while the session sleeps. The range may run below the stack's
 * mapping; madvise then still applies to the mapped part. */
static void __attribute__((noinline))
release_stack(void)
{
	volatile uint8_t here = 0;
	uintptr_t sp = (uintptr_t)&here;
	const uintptr_t page = 4096, margin = 4096, span = 512 * 1024;
	uintptr_t hi = (sp - margin) & ~(page - 1);
	if (hi > span)
		(void)madvise((void *)(hi - span), span, MADV_DONTNEED);
	(void)here;
}

/* Quiet this long after a batch, a session is taken as going idle. */
#define QUIET_MS 200

/* Before login, answers are flushed after this many pipelined commands:
 * what an unauthenticated client can make us hold stays a few KiB. */
#define IMAP_PRELOGIN_PIPELINE 8

/* Consecutive BAD answers before the session is closed. */
#define MAX_BAD_IN_A_ROW 20
/* Statistics are written at least this often (and at exit). */
#define STATS_PERIOD_S 5

static time_t stats_last;

struct buf *
imap_out_buf(struct imap_session *s)
{
	return &s->conn.out;
}

bool
imap_utf8(const struct imap_session *s)
{
	return (s->enabled & (IMAP_EN_IMAP4REV2 | IMAP_EN_UTF8)) != 0;
}

void
imap_condstore_on(struct imap_session *s)
{
	if (s->enabled & IMAP_EN_CONDSTORE)
		return;
	s->enabled |= IMAP_EN_CONDSTORE;
	/* RFC 7162 3.1: the first CONDSTORE-enabling command in the selected
	 * state tells the mailbox's HIGHESTMODSEQ */
	if (s->view != NULL)
		imap_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest",
		    (unsigned long long)s->view->modseq);
}

bool
imap_store_fatal(int rc)
{
	return rc == STORE_E_IO || rc == STORE_E_PROTO;
}

void
imap_untagged(struct imap_session *s, const char *fmt, ...)
{
	struct buf *b = &s->conn.out;
	va_list ap;
	va_start(ap, fmt);
	buf_append(b, "* ", 2);
	buf_vprintf(b, fmt, ap);
	buf_append(b, "\r\n", 2);
	va_end(ap);
}

void
imap_tagged(struct imap_session *s, const char *status, const char *code,
    const char *fmt, ...)
{
	struct buf *b = &s->conn.out;
	const char *tag = s->cmd != NULL && s->cmd->tag[0] ? s->cmd->tag : "*";
	buf_printf(b, "%s %s ", tag, status);
	if (code != NULL)
		buf_printf(b, "[%s] ", code);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	buf_append(b, "\r\n", 2);
	if (strcmp(status, "OK") != 0)
		stats_add(ST_ERRORS, 1);
}

void
imap_tagged_store_error(struct imap_session *s, int rc, const char *what)
{
	switch (rc) {
	case STORE_E_NOTFOUND:
		imap_tagged(s, "NO", "NONEXISTENT", "%s: no such mailbox", what);
		break;
	case STORE_E_EXISTS:
		imap_tagged(s, "NO", "ALREADYEXISTS", "%s: mailbox exists", what);
		break;
	case STORE_E_QUOTA:
		imap_log(s, LOG_LVL_INFO, "over quota", "command=%s", what);
		imap_tagged(s, "NO", "OVERQUOTA", "%s: over quota", what);
		break;
	case STORE_E_NOSPACE:
		/* as Dovecot says of ENOSPC: nothing was written */
		imap_tagged(s, "NO", "OVERQUOTA", "%s: not enough disk space on "
		    "the server, try again later", what);
		break;
	case STORE_E_DENIED:
		imap_tagged(s, "NO", "CANNOT", "%s: %s", what,
		    store_client_errmsg(s->sc)[0] ? store_client_errmsg(s->sc) :
		    "not permitted");
		break;
	case STORE_E_CONFLICT:
		imap_tagged(s, "NO", "INUSE", "%s: %s", what,
		    store_client_errmsg(s->sc));
		break;
	case STORE_E_LIMIT:
		imap_tagged(s, "NO", "LIMIT", "%s: %s", what,
		    store_client_errmsg(s->sc));
		break;
	case STORE_E_TEMPORARY:
		imap_tagged(s, "NO", "UNAVAILABLE", "%s: try again later", what);
		break;
	case STORE_E_ARG:
		imap_tagged(s, "NO", "LIMIT", "%s: request too large", what);
		break;
	default:
		imap_tagged(s, "NO", "SERVERBUG", "%s failed", what);
		break;
	}
}

bool
imap_flush_some(struct imap_session *s)
{
	return client_conn_maybe_flush(&s->conn) == 0;
}

const char *
imap_mailbox_arg(struct imap_session *s, const struct imap_str *m)
{
	if (m->ext != NULL || m->len > STORE_MBOX_NAME_MAX) {
		imap_tagged(s, "NO", "LIMIT", "Mailbox name too long");
		return NULL;
	}
	if (m->len == 5 && strncasecmp(m->s, "INBOX", 5) == 0)
		return "INBOX";
	if (imap_utf8(s)) {
		if (!imap_utf8_valid(m->s, m->len)) {
			imap_tagged(s, "BAD", NULL, "Mailbox name is not UTF-8");
			return NULL;
		}
		return m->s;
	}
	struct buf b = BUF_INIT(STORE_MBOX_NAME_MAX);
	if (imap_mutf7_decode(m->s, m->len, &b) < 0 || b.len == 0) {
		buf_free(&b);
		imap_tagged(s, "NO", "CANNOT",
		    "Mailbox name is not valid modified UTF-7");
		return NULL;
	}
	char *r = imap_arena_strndup(&s->arena, b.data, b.len);
	buf_free(&b);
	if (r == NULL)
		imap_tagged(s, "NO", "LIMIT", "Mailbox name too long");
	if (r != NULL && strcasecmp(r, "INBOX") == 0)
		return "INBOX";
	return r;
}

static bool
plaintext_ok(const struct imap_session *s)
{
	return s->tls_active || s->opt->plaintext_auth;
}

void
imap_capabilities(struct imap_session *s, struct buf *b)
{
	/* before login only LITERAL- (RFC 7888): a larger literal must wait
	 * for a continuation, which only LOGIN receives (imap_reader.h) */
	buf_append_str(b, s->state == IMAP_ST_NOT_AUTH ?
	    "IMAP4rev1 IMAP4rev2 LITERAL- SASL-IR ID ENABLE IDLE" :
	    "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE");
	if (s->state == IMAP_ST_NOT_AUTH) {
		if (!s->tls_active && s->opt->tls != NULL &&
		    s->opt->tls_mode == TLS_STARTTLS)
			buf_append_str(b, " STARTTLS");
		if (!plaintext_ok(s))
			buf_append_str(b, " LOGINDISABLED");
		const struct auth_mech *m;
		size_t n;
		if (s->ac != NULL && auth_client_mechs(s->ac, &m, &n) == 0) {
			for (size_t i = 0; i < n; i++) {
				if ((m[i].flags & AUTH_MECH_PLAINTEXT) &&
				    !plaintext_ok(s))
					continue;
				buf_printf(b, " AUTH=%s", m[i].name);
			}
		}
		return;
	}
	buf_printf(b, " NAMESPACE UNSELECT UIDPLUS MOVE CHILDREN LIST-EXTENDED"
	    " LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE CONDSTORE QRESYNC"
	    " ESEARCH SEARCHRES WITHIN SORT SORT=DISPLAY ESORT"
	    " THREAD=ORDEREDSUBJECT THREAD=REFERENCES MULTIAPPEND BINARY QUOTA"
	    " QUOTA=RES-STORAGE QUOTA=RES-MESSAGE STATUS=SIZE APPENDLIMIT=%llu",
	    (unsigned long long)s->opt->lim.max_literal);
}

static void
greeting(struct imap_session *s)
{
	struct buf *b = &s->conn.out;
	buf_append_str(b, "* OK [CAPABILITY ");
	imap_capabilities(s, b);
	buf_printf(b, "] %s ready\r\n", s->opt->server_name);
}

static bool
addr_loopback(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *i = (const struct sockaddr_in *)a;
		return (ntohl(i->sin_addr.s_addr) >> 24) == 127;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *i = (const struct sockaddr_in6 *)a;
		if (IN6_IS_ADDR_LOOPBACK(&i->sin6_addr))
			return true;
		if (IN6_IS_ADDR_V4MAPPED(&i->sin6_addr))
			return i->sin6_addr.s6_addr[12] == 127;
	}
	return false;
}

static void
maybe_stats(void)
{
	time_t now = time(NULL);
	if (now - stats_last >= STATS_PERIOD_S) {
		stats_flush();
		stats_last = now;
	}
}

/* Run one parsed command through the table. -1: end the session. */
static int
execute(struct imap_session *s, struct imap_cmd *c)
{
	if (!(dispatch[c->id].states & s->state)) {
		const char *why = s->state == IMAP_ST_NOT_AUTH ?
		    "Not authenticated" : s->state == IMAP_ST_AUTH &&
		    (dispatch[c->id].states & IMAP_ST_SELECTED) ?
		    "No mailbox selected" : "Not valid in this state";
		imap_tagged(s, "BAD", NULL, "%s", why);
		return 0;
	}
	unsigned flags = dispatch[c->id].flags;
	bool expunge_ok = !((flags & CF_NO_EXPUNGE) && !c->uid);
	/* notifications the store client queued while reading earlier
	 * replies: the view is stale (and pure appends get their EXISTS) */
	struct store_notify n;
	while (s->sc != NULL && store_client_next_notify(s->sc, &n) == 1)
		(void)imap_view_notify(s, &n);
	if (s->state == IMAP_ST_SELECTED && (flags & CF_SYNC_FIRST) &&
	    s->view != NULL && s->view->stale) {
		int rc = imap_view_sync(s, expunge_ok);
		if (imap_store_fatal(rc))
			return -1;
	}
	return dispatch[c->id].fn(s, c);
}

/* Answer a command the reader dropped. */
static void
reject(struct imap_session *s, bool fatal)
{
	struct imap_cmd tmp;
	memset(&tmp, 0, sizeof(tmp));
	if (s->rd.tag_valid)
		memcpy(tmp.tag, s->rd.tag, sizeof(tmp.tag));
	s->cmd = &tmp;
	const char *msg = imap_rd_reason_text(s->rd.reason);
	bool toobig = s->rd.reason == RDR_LITERAL_TOO_BIG ||
	    s->rd.reason == RDR_LINE_TOO_LONG ||
	    s->rd.reason == RDR_COMMAND_TOO_LONG;
	if (tmp.tag[0])
		imap_tagged(s, s->rd.reject_no ? "NO" : "BAD",
		    toobig ? "TOOBIG" : NULL, "%s", msg);
	else
		imap_untagged(s, "BAD %s", msg);
	if (fatal) {
		imap_untagged(s, "BYE %s", msg);
		s->bye_sent = true;
		s->end_reason = "protocol-error";
	}
	s->cmd = NULL;
}

/* Parse and run the command the reader completed. -1: end. */
static int
command(struct imap_session *s, unsigned *bad_row)
{
	size_t len;
	const uint8_t *t = imap_reader_text(&s->rd, &len);
	struct imap_parse_ctx ctx = { &s->opt->lim, &s->arena, &s->rd,
		imap_utf8(s) ? IMAP_PARSE_UTF8 : 0 };
	struct imap_cmd c;
	struct imap_parse_error err;
	enum imap_parse_result r = imap_parse_command(&ctx, t, len, &c, &err);
	stats_add(ST_COMMANDS, 1);
	s->cmd = &c;
	int ret = 0;
	if (r == IMAP_PARSE_OK) {
		*bad_row = 0;
		ret = execute(s, &c);
	} else if (c.tag[0] == '\0') {
		imap_untagged(s, "BAD %s", err.msg);
		stats_add(ST_ERRORS, 1);
		(*bad_row)++;
	} else {
		imap_tagged(s, r == IMAP_PARSE_NO ? "NO" : "BAD", err.code,
		    "%s", err.msg);
		if (r == IMAP_PARSE_BAD)
			(*bad_row)++;
	}
	s->cmd = NULL;
	imap_arena_reset(&s->arena);
	imap_reader_next(&s->rd);
	if (*bad_row >= MAX_BAD_IN_A_ROW) {
		imap_untagged(s, "BYE Too many invalid commands");
		s->bye_sent = true;
		s->end_reason = "bad-commands";
		return -1;
	}
	return ret;
}

/* The main loop: read, frame, run, flush once per batch. */
static void
serve(struct imap_session *s)
{
	unsigned bad_row = 0, batch = 0;
	while (s->state != IMAP_ST_LOGOUT && !s->conn.failed) {
		size_t avail;
		const uint8_t *in = client_conn_input(&s->conn, &avail);
		if (avail == 0) {
			/* end of a pipelined batch: answer it in one write */
			if (client_conn_flush(&s->conn) < 0)
				break;
			batch = 0;
			maybe_stats();
			/* before login the connection's deadline cuts every
			 * wait (imap_prelogin_begin): this is only the idle
			 * timer of a logged-in session */
			unsigned to = s->state == IMAP_ST_NOT_AUTH ?
			    s->opt->prelogin_timeout_s : s->opt->idle_timeout_s;
			/* A busy client sends its next command at once: keep
			 * the buffers warm. One that stays quiet for a moment
			 * is going idle: what the session freed (TLS handshake,
			 * command buffers, deep stack) goes back to the kernel,
			 * so that an idle session costs what it holds, not what
			 * it held. */
			enum client_wait w = client_conn_wait(&s->conn, -1,
			    QUIET_MS);
			if (w == CLIENT_WAIT_TIMEOUT) {
				if (imap_reader_idle(&s->rd))
					client_conn_release(&s->conn);
				malloc_trim(0);
				release_stack();
				w = client_conn_wait(&s->conn, -1,
				    (int)to * 1000 - QUIET_MS);
			}
			if (w == CLIENT_WAIT_TIMEOUT) {
				imap_untagged(s, "%s", s->state == IMAP_ST_NOT_AUTH ?
				    "BYE Login time limit reached" :
				    "BYE Autologout; idle for too long");
				s->bye_sent = true;
				s->end_reason = s->state == IMAP_ST_NOT_AUTH ?
				    "prelogin-timeout" : "idle-timeout";
				break;
			}
			if (w != CLIENT_WAIT_INPUT)
				break;
			continue;
		}
		size_t used;
		enum imap_rd_event ev = imap_reader_feed(&s->rd, in, avail, &used);
		client_conn_consume(&s->conn, used);
		switch (ev) {
		case RD_MORE:
			break;
		case RD_CONTINUE:
			buf_append_str(&s->conn.out, "+ Ready for literal data\r\n");
			if (client_conn_flush(&s->conn) < 0)
				return;
			break;
		case RD_REJECT:
			reject(s, false);
			imap_reader_next(&s->rd);
			break;
		case RD_FATAL:
			reject(s, true);
			return;
		case RD_COMMAND:
			if (command(s, &bad_row) < 0)
				return;
			if (++batch >= (s->state == IMAP_ST_NOT_AUTH ?
			    IMAP_PRELOGIN_PIPELINE : s->opt->max_pipeline) ||
			    !imap_flush_some(s)) {
				if (client_conn_flush(&s->conn) < 0)
					return;
				batch = 0;
			}
			break;
		}
	}
}

void
imap_session_run(const struct imap_options *opt, int fd,
    const struct sockaddr_storage *peer, socklen_t peerlen,
    const struct sockaddr_storage *local, socklen_t locallen)
{
	static struct imap_session sess;
	struct imap_session *s = &sess;
	memset(s, 0, sizeof(*s));
	s->opt = opt;
	s->state = IMAP_ST_NOT_AUTH;
	if (peer != NULL && peerlen <= sizeof(s->peer)) {
		memcpy(&s->peer, peer, peerlen);
		s->peerlen = peerlen;
	}
	if (local != NULL && locallen <= sizeof(s->local)) {
		memcpy(&s->local, local, locallen);
		s->locallen = locallen;
	}
	s->peer_loopback = addr_loopback(&s->peer);
	s->started_ms = client_conn_now_ms();
	imap_log_session(s);   /* TLS log lines: tls_worker_take_conn */
	stats_last = time(NULL);
	stats_add(ST_CONNECTIONS, 1);
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	client_conn_init(&s->conn, fd, 5 * 60 * 1000);
	imap_reader_init(&s->rd, &opt->lim);
	imap_arena_init(&s->arena, IMAP_ARENA_MAX(&opt->lim));
	imap_prelogin_begin(s);
	s->ac = worker_login_authd(&opt->login);
	if (worker_login_implicit_tls(&s->conn, opt->tls_mode, opt->tls,
	    opt->prelogin_timeout_s, &s->tls_active, &s->end_reason) < 0)
		goto out;
	greeting(s);
	serve(s);
	if (s->conn.stopped && !s->bye_sent) {   /* SIGTERM: imap_log.c */
		buf_append_str(&s->conn.out, IMAP_BYE_SHUTDOWN "\r\n");
		s->bye_sent = true;
	}
	if (s->state == IMAP_ST_LOGOUT || s->bye_sent)
		(void)client_conn_flush(&s->conn);
	if (s->conn.tls != NULL && !s->conn.failed)
		tls_shutdown(s->conn.tls);
out:
	imap_log_session(NULL);   /* one line: a late SIGTERM adds none */
	imap_log_end(s);
	if (s->view != NULL) {
		imap_view_free(s->view);
		free(s->view);
		s->view = NULL;
	}
	worker_session_end(&s->conn, s->ac, s->sc);
	imap_reader_free(&s->rd);
	imap_arena_reset(&s->arena);
	client_conn_free(&s->conn);
}
