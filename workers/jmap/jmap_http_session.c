/* jmap_http_session: the request loop of one connection (see jmap_http.h):
 * read a head, route it, authenticate, read the body within the route's
 * limit, answer, and go on while the connection is kept alive. */
#include "jmap_http.h"
#include "jmap_http_cookie.h"
#include "jmap_http_resp.h"
#include "log.h"
#include "stats.h"
#include "worker_login.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* Before login the kernel may queue little for us (see imap_prelogin.c):
 * a fixed receive buffer and a bounded unsent queue; raised at login. */
#define PRELOGIN_RCVBUF (16 * 1024)
#define PRELOGIN_NOTSENT_LOWAT (8 * 1024)
/* What a write may wait for a client that does not read. */
#define IO_TIMEOUT_MS (60 * 1000)

struct buf *
jmap_http_out(struct jmap_http_session *s)
{
	return &s->conn.out;
}

/* Where a listed origin's page may send the browser's own credentials
 * (the session cookie, which only the Session response sets and only
 * the event source and downloads read): the exact origin, never "*". */
static bool
credentialed_route(const struct jmap_http_session *s)
{
	return s->rt.id == ROUTE_SESSION || s->rt.id == ROUTE_EVENTSOURCE ||
	    s->rt.id == ROUTE_DOWNLOAD;
}

static void
cors_headers(struct jmap_http_session *s)
{
	if (s->cors_origin == NULL)
		return;
	struct buf *b = jmap_http_out(s);
	http_resp_header(b, "Access-Control-Allow-Origin", "%s", s->cors_origin);
	if (credentialed_route(s))
		http_resp_header(b, "Access-Control-Allow-Credentials", "true");
	http_resp_header(b, "Vary", "Origin");
}

/* The web session cookie minted at this login, once, on the Session
 * response: one per path it opens (a cookie has one Path). No Max-Age:
 * the browser keeps sending an expired token, gets a Bearer challenge
 * rather than dropping it and meeting a Basic one (a password prompt). */
static void
session_cookie(struct jmap_http_session *s, int status)
{
	static const char *const paths[] = { "/jmap/eventsource/",
	    "/jmap/download/" };
	if (s->web_token[0] == '\0' || s->rt.id != ROUTE_SESSION ||
	    status != 200)
		return;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		http_resp_header(jmap_http_out(s), "Set-Cookie", "%s=%s; Path=%s; "
		    "Secure; HttpOnly; SameSite=Strict", JMAP_COOKIE_NAME,
		    s->web_token, paths[i]);
	explicit_bzero(s->web_token, sizeof(s->web_token));
}

void
jmap_http_start(struct jmap_http_session *s, int status)
{
	http_resp_start(jmap_http_out(s), status, s->close);
	cors_headers(s);
	session_cookie(s, status);
}

void
jmap_http_problem(struct jmap_http_session *s, int status, const char *detail)
{
	char body[256];
	if (buf_snprintf(body, sizeof(body), "{\"type\":\"about:blank\","
	    "\"status\":%d,\"detail\":\"%s\"}\n", status, detail) < 0)
		body[0] = '\0';
	/* HEAD: the same headers, no body */
	http_resp_body(jmap_http_out(s), "application/problem+json",
	    s->rd.req.method == HTTP_HEAD ? NULL : body, strlen(body));
}

void
jmap_http_error(struct jmap_http_session *s, int status, bool close,
    const char *detail)
{
	if (close)
		s->close = true;
	jmap_http_start(s, status);
	if (status == 405)
		http_resp_header(jmap_http_out(s), "Allow", "%s", s->rt.allow);
	jmap_http_problem(s, status, detail);
}

/* The Origin header, if it is one of cors-origins (exact match). */
static void
match_origin(struct jmap_http_session *s)
{
	const struct http_str o = s->rd.req.origin;
	s->cors_origin = NULL;
	for (size_t i = 0; o.p != NULL && i < s->opt->ncors; i++)
		if (strlen(s->opt->cors[i]) == o.n &&
		    memcmp(s->opt->cors[i], o.p, o.n) == 0)
			s->cors_origin = s->opt->cors[i];
}

/* OPTIONS: a CORS preflight (no credentials; answered without login).
 * Only a listed origin gets the Access-Control headers. */
static void
preflight(struct jmap_http_session *s)
{
	struct buf *b = jmap_http_out(s);
	jmap_http_start(s, 204);
	http_resp_header(b, "Allow", "%s", s->rt.allow);
	if (s->cors_origin != NULL) {
		http_resp_header(b, "Access-Control-Allow-Methods", "%s",
		    s->rt.allow);
		http_resp_header(b, "Access-Control-Allow-Headers",
		    "Authorization, Content-Type, Accept, Last-Event-ID");
		http_resp_header(b, "Access-Control-Max-Age", "600");
	}
	buf_append_str(b, "\r\n");
}

static void
redirect(struct jmap_http_session *s)
{
	struct buf *b = jmap_http_out(s);
	jmap_http_start(s, 307);
	http_resp_header(b, "Location", "%s", JMAP_SESSION_PATH);
	http_resp_body(b, NULL, NULL, 0);
}

/* Read until the reader reports want (HEAD or DONE) or a status. */
static int
read_until(struct jmap_http_session *s, int want, int timeout_ms)
{
	for (;;) {
		size_t avail, used;
		const uint8_t *in = client_conn_input(&s->conn, &avail);
		if (avail > 0) {
			int ev = http_reader_feed(&s->rd, in, avail, &used);
			client_conn_consume(&s->conn, used);
			if (ev == want || ev >= 400)
				return ev;
			if (ev != HTTP_RD_MORE)
				return 400;
			continue;
		}
		enum client_wait w = client_conn_wait(&s->conn, -1, timeout_ms);
		if (w == CLIENT_WAIT_TIMEOUT)
			return 408;
		if (w != CLIENT_WAIT_INPUT)
			return -1;
	}
}

/* The body limit of the route: maxSizeRequest for the API, maxSizeUpload
 * for uploads, none elsewhere. */
static size_t
body_max(const struct jmap_http_session *s)
{
	if (s->rt.id == ROUTE_API)
		return s->opt->limits.max_size_request;
	if (s->rt.id == ROUTE_UPLOAD)
		return s->opt->limits.max_size_upload;
	return 0;
}

static int
read_body(struct jmap_http_session *s)
{
	const struct http_req *q = &s->rd.req;
	size_t max = body_max(s);
	if (s->rt.id == ROUTE_UPLOAD && jmap_http_upload_begin(s) < 0)
		return 503;
	int st = http_reader_body(&s->rd, max);
	if (st == 413 || (max == 0 && (q->chunked || q->content_length > 0)))
		return 413;
	if (st == HTTP_RD_DONE)
		return st;
	if (q->expect.p != NULL) {
		if (!http_str_eq(q->expect, "100-continue"))
			return 417;
		buf_append_str(jmap_http_out(s), "HTTP/1.1 100 Continue\r\n\r\n");
		if (client_conn_flush(&s->conn) < 0)
			return -1;
	}
	return read_until(s, HTTP_RD_DONE,
	    (int)s->opt->request_timeout_s * 1000);
}

static int
dispatch(struct jmap_http_session *s)
{
	switch (s->rt.id) {
	case ROUTE_SESSION:
		return jmap_http_session_resource(s);
	case ROUTE_API:
		return jmap_http_api(s);
	case ROUTE_UPLOAD:
		return jmap_http_upload(s);
	case ROUTE_DOWNLOAD:
		return jmap_http_download(s);
	case ROUTE_EVENTSOURCE:
		return jmap_http_eventsource(s);
	default:
		jmap_http_error(s, 404, false, "No such resource");
		return 0;
	}
}

static const char *
status_detail(int st)
{
	switch (st) {
	case 408: return "Request not complete in time";
	case 413: return "Request body too large";
	case 414: return "Request line too long";
	case 417: return "Only 100-continue is understood";
	case 503: return "Cannot hold the body now";
	case 431: return "Too many or too large header fields";
	case 501: return "Transfer coding not implemented";
	case 505: return "Only HTTP/1.x is served";
	default: return "Malformed request";
	}
}

/* RFC 8620 3.6.1: over maxConcurrentRequests of the user (all its
 * connections, counted by stored). The body is left unread: close. */
static void
too_many_requests(struct jmap_http_session *s)
{
	static const char body[] = "{\"type\":\"urn:ietf:params:jmap:error:"
	    "limit\",\"status\":429,\"limit\":\"maxConcurrentRequests\","
	    "\"detail\":\"too many requests in flight for this user\"}\n";
	s->close = true;
	struct buf *b = jmap_http_out(s);
	jmap_http_start(s, 429);
	http_resp_header(b, "Retry-After", "1");
	http_resp_body(b, "application/problem+json", body, sizeof(body) - 1);
}

/* An API request holds one of the user's request slots in stored from
 * before its body is read until its answer is written: 1 if taken, 0 if
 * none is needed or the store cannot count now, -1 if the answer (429) is
 * written, -2 if the store channel broke. */
static int
take_slot(struct jmap_http_session *s)
{
	if (s->rt.id != ROUTE_API)
		return 0;
	int rc = store_api_slot(s->sc, true,
	    (uint32_t)s->opt->limits.max_concurrent_requests);
	if (rc == STORE_E_LIMIT) {
		too_many_requests(s);
		return -1;
	}
	if (rc == STORE_E_IO || rc == STORE_E_PROTO)
		return -2;
	return rc == STORE_OK ? 1 : 0;
}

static int answer(struct jmap_http_session *s);

/* One request, its head already read. -1 ends the connection. */
static int
handle(struct jmap_http_session *s)
{
	const struct http_req *q = &s->rd.req;
	s->close = !q->keep_alive;
	match_origin(s);
	jmap_http_route(q, &s->rt);
	bool has_body = q->chunked || q->content_length > 0;
	if (s->rt.status != 0 || q->method == HTTP_OPTIONS ||
	    s->rt.id == ROUTE_WELL_KNOWN) {
		/* answered without reading a body: one would end the
		 * connection, as nothing of it is read */
		if (has_body)
			s->close = true;
		if (s->rt.status != 0)
			jmap_http_error(s, s->rt.status, false, s->rt.status == 405 ?
			    "Method not allowed here" : "No such resource");
		else if (q->method == HTTP_OPTIONS)
			preflight(s);
		else
			redirect(s);
		return 0;
	}
	if (jmap_http_auth(s) < 0)
		return 0;   /* answered; closing if a body is left unread */
	int slot = take_slot(s);
	if (slot < 0)
		return slot == -1 ? 0 : -1;
	int rc = answer(s);
	if (slot == 1 && store_api_slot(s->sc, false, 1) < 0 && rc == 0)
		rc = -1;     /* a slot not given back: end, stored frees it */
	return rc;
}

/* Read the body and answer: -1 ends the connection. */
static int
answer(struct jmap_http_session *s)
{
	int st = read_body(s);
	if (st < 0)
		return -1;
	if (st >= 400) {
		jmap_http_upload_end(s);
		if (st == 413 && s->rt.id == ROUTE_UPLOAD) {
			jmap_http_too_large(s, "maxSizeUpload",
			    s->opt->limits.max_size_upload);
			return 0;
		}
		if (st == 413 && s->rt.id == ROUTE_API) {
			jmap_http_too_large(s, "maxSizeRequest",
			    s->opt->limits.max_size_request);
			return 0;
		}
		jmap_http_error(s, st, true, status_detail(st));
		return 0;
	}
	/* the request is in: its deadline is over, and the answer (a large
	 * download, an event stream) is bounded by the write timeout, which
	 * drops a client that stops reading */
	client_conn_set_deadline(&s->conn, 0);
	stats_add(ST_COMMANDS, 1);
	return dispatch(s);
}

void
jmap_http_socket_limits(int fd, bool before)
{
	int v = before ? PRELOGIN_RCVBUF : 4 * 1024 * 1024;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	v = before ? PRELOGIN_NOTSENT_LOWAT : 0;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &v, sizeof(v));
}

static void
serve(struct jmap_http_session *s)
{
	for (;;) {
		http_reader_reset(&s->rd);
		client_conn_release(&s->conn);
		/* before login the connection's deadline cuts every wait;
		 * after, a kept-alive connection may idle this long */
		int idle = (int)(s->authed ? s->opt->idle_timeout_s :
		    s->opt->prelogin_timeout_s) * 1000;
		enum client_wait w = client_conn_wait(&s->conn, -1, idle);
		if (w != CLIENT_WAIT_INPUT)
			return;
		if (s->authed)
			client_conn_set_deadline(&s->conn, client_conn_now_ms() +
			    (int64_t)s->opt->request_timeout_s * 1000);
		int st = read_until(s, HTTP_RD_HEAD, -1);
		if (st < 0)
			return;
		if (st >= 400)
			jmap_http_error(s, st, true, status_detail(st));
		else if (handle(s) < 0)
			return;
		if (s->authed)
			client_conn_set_deadline(&s->conn, 0);
		if (client_conn_flush(&s->conn) < 0 || s->close)
			return;
		if (!s->authed && ++s->preauth_requests >= JMAP_PREAUTH_REQUESTS)
			return;
	}
}

void
jmap_http_run(const struct jmapd_options *opt, int fd)
{
	static struct jmap_http_session sess;
	static struct auth_client ac;
	struct jmap_http_session *s = &sess;
	memset(s, 0, sizeof(*s));
	s->opt = opt;
	s->upload_fd = -1;
	stats_add(ST_CONNECTIONS, 1);
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	jmap_http_socket_limits(fd, true);
	client_conn_init(&s->conn, fd, IO_TIMEOUT_MS);
	client_conn_set_deadline(&s->conn, client_conn_now_ms() +
	    (int64_t)opt->prelogin_timeout_s * 1000);
	http_reader_init(&s->rd);
	if (opt->auth_fd >= 0 && auth_client_init(&ac, opt->auth_fd) == 0)
		s->ac = &ac;
	if (opt->tls_listener && (opt->tls == NULL ||
	    client_conn_start_tls(&s->conn, opt->tls,
	    (int)opt->prelogin_timeout_s * 1000) < 0))
		goto out;
	serve(s);
	if (s->conn.tls != NULL && !s->conn.failed)
		tls_shutdown(s->conn.tls);
out:
	worker_session_end(&s->conn, s->ac, s->sc);
	http_reader_free(&s->rd);
	client_conn_free(&s->conn);
}
