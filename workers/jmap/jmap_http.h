/*
 * jmap_http: one JMAP client connection of cloister-jmapd — HTTP/1.1 over
 * the socket the supervisor handed over (TLS through keyd, or plaintext on
 * a loopback-only listener), one request at a time in order, Basic
 * authentication relayed to authd, and the resources of RFC 8620 served
 * through the user's store channel (jmap_api.h does the API itself).
 *
 * Before authentication a connection costs little: the request head is
 * read into a fixed buffer, no body is read, the store is not touched, and
 * one deadline (prelogin-timeout) bounds the whole time.
 */
#ifndef CLOISTER_JMAP_HTTP_H
#define CLOISTER_JMAP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "auth_client.h"
#include "auth_token.h"
#include "config.h"
#include "fds.h"
#include "client_conn.h"
#include "jmap_api.h"
#include "jmap_http_req.h"
#include "jmap_http_route.h"
#include "store_client.h"
#include "tls.h"

#define JMAP_CORS_MAX 16
#define JMAP_ORIGIN_MAX 256
#define JMAP_BASE_URL_MAX 256
/* Failed logins one connection may try before it is closed. */
#define JMAP_AUTH_TRIES 3
/* Requests an unauthenticated connection may make (redirects, preflights,
 * 401s) before it is closed. */
#define JMAP_PREAUTH_REQUESTS 8

struct jmapd_options {
	struct tls_server *tls;
	bool tls_listener;             /* this connection's listener is TLS */
	bool plaintext_auth;           /* plain listener, both ends loopback */
	unsigned prelogin_timeout_s;   /* the whole unauthenticated life */
	unsigned idle_timeout_s;       /* between requests once logged in */
	unsigned request_timeout_s;    /* one request, first byte to last */
	unsigned store_shards;
	int auth_fd;
	int store_fd[CLOISTER_MAX_SHARDS];
	char cors[JMAP_CORS_MAX][JMAP_ORIGIN_MAX];
	size_t ncors;
	char base_url[JMAP_BASE_URL_MAX];  /* "" -> from the Host header */
	struct jmap_limits limits;
	char domain[256];              /* default-domain; "" -> from the user */
};

struct jmap_http_session {
	const struct jmapd_options *opt;
	struct client_conn conn;
	struct http_reader rd;
	struct jmap_http_route rt;
	struct auth_client *ac;
	struct store_conn *sc;
	char user[TICKET_USER_MAX + 1];
	char account_id[40];
	struct jmap_account acct;
	uint8_t cred_hash[32];         /* SHA-256 of the Authorization that
	                                * logged in: later requests must carry
	                                * the same */
	bool authed;
	bool cookie_login;             /* by the web session cookie: only
	                                * the event source and downloads */
	char web_token[AUTH_SESSION_LEN + 1]; /* minted at login, for the
	                                * Session response's Set-Cookie */
	uint64_t web_lifetime_s;       /* how long authd takes it */
	uint8_t web_hash[32];          /* its SHA-256: the cookie this
	                                * connection may also be sent */
	bool web_minted;
	bool cookie_tried;             /* this request offered only it */
	bool close;                    /* after the current response */
	unsigned failed_auths, preauth_requests;
	const char *cors_origin;       /* the request's Origin, if listed */
	int upload_fd;                 /* the upload being read (a memfd the
	                                * body streams into), else -1 */
};

/* Serve the connection on fd until it closes. */
void jmap_http_run(const struct jmapd_options *opt, int fd);

/* ---- inside the session (jmap_http_*.c) ------------------------------- */

struct buf *jmap_http_out(struct jmap_http_session *s);
/* An error response; close ends the connection after it. */
void jmap_http_error(struct jmap_http_session *s, int status, bool close,
    const char *detail);
/* A short problem+json body (RFC 7807) after the headers written. */
void jmap_http_problem(struct jmap_http_session *s, int status,
    const char *detail);
/* The status line plus the session's common headers (CORS). */
void jmap_http_start(struct jmap_http_session *s, int status);

/* Before login (before true) a small fixed receive buffer and a bounded
 * unsent queue; at login the system's (a large body may follow at once:
 * with kernel TLS a record must fit in the receive buffer whole). */
void jmap_http_socket_limits(int fd, bool before);

/* Authenticate the request (jmap_http_auth.c): 0 when it may go on, -1
 * when a response was written (401, 429, 503) or the connection must end
 * (s->close). */
int jmap_http_auth(struct jmap_http_session *s);

/* The resources (jmap_http_serve.c, jmap_http_download.c,
 * jmap_http_event.c). Each writes its response; -1 ends the connection. */
int jmap_http_session_resource(struct jmap_http_session *s);
int jmap_http_api(struct jmap_http_session *s);
int jmap_http_upload(struct jmap_http_session *s);
/* Before an upload's body is read: a memfd it streams into (-1 if none
 * can be made); _end closes it (after the upload, or when the request
 * fails). */
int jmap_http_upload_begin(struct jmap_http_session *s);
void jmap_http_upload_end(struct jmap_http_session *s);
/* 413 with the limit problem (RFC 8620 section 3.6.1) for a body over the
 * named limit (maxSizeUpload, maxSizeRequest); the connection closes after
 * it. */
void jmap_http_too_large(struct jmap_http_session *s, const char *limit,
    size_t max);
int jmap_http_download(struct jmap_http_session *s);
int jmap_http_eventsource(struct jmap_http_session *s);

#endif
