/* jmap_http_auth: HTTP Basic authentication (RFC 7617) relayed to authd as
 * SASL PLAIN, or an app-specific bearer token (RFC 6750 syntax) that authd
 * checks, with authd's rate limits and failure delay, then the user's
 * store channel. A GET of the event source or a download without an
 * Authorization header may log in by the web session cookie
 * (jmap_http_cookie.h) instead; such a connection serves nothing else, and
 * the cookie is never read on the API or upload (no cross-site request
 * can make a change with it). A Session GET that logs in by password or
 * app token gets the cookie: a token authd mints for that login. One user per connection: after a login, every request
 * must carry the very Authorization value that logged in (compared as a
 * SHA-256 digest, in constant time); any other value gets 401 and the
 * connection is closed, so a second user never reaches this process's
 * store channel and authd is never asked twice. */
#include "auth_token.h"
#include "base64.h"
#include "jmap_http_cookie.h"
#include "jmap_http.h"
#include "jmap_http_resp.h"
#include "log.h"
#include "push_plan.h"
#include "stats.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static void
challenge(struct jmap_http_session *s, int status, bool close,
    const char *detail)
{
	/* a body not read leaves the connection out of step: close it */
	if (close || s->rd.req.chunked || s->rd.req.content_length > 0)
		s->close = true;
	struct buf *b = jmap_http_out(s);
	jmap_http_start(s, status);
	/* a refused cookie is no cue for a browser's password prompt: the
	 * page fetches the Session again for a new one */
	if (status == 401 && s->cookie_tried)
		http_resp_header(b, "WWW-Authenticate",
		    "Bearer realm=\"cloister\", error=\"invalid_token\"");
	else if (status == 401)
		http_resp_header(b, "WWW-Authenticate",
		    "Basic realm=\"cloister\", charset=\"UTF-8\"");
	if (status == 429 || status == 503)
		http_resp_header(b, "Retry-After", "10");
	jmap_http_problem(s, status, detail);
}

/* "A" and the first 96 bits of SHA-256(username), in hex: stable, opaque,
 * and no copy of the address in every URL; pushd names the same id in
 * its StateChange pushes (push_plan.h). */
static void
account_id(const char *user, char *dst, size_t dstsize)
{
	push_account_id(user, dst, dstsize);
}

/* The ticket to the user's shard; other shards' channels and authd's are
 * closed. 0, or -1 with a 503 written. */
static int
login_done(struct jmap_http_session *s, const struct auth_reply *r)
{
	const struct jmapd_options *o = s->opt;
	unsigned shard = store_shard_of(r->user, o->store_shards);
	if (shard >= CLOISTER_MAX_SHARDS || o->store_fd[shard] < 0) {
		log_err("no store channel for shard %u", shard);
		challenge(s, 503, true, "Mail store unavailable");
		return -1;
	}
	s->sc = store_client_open(o->store_fd[shard]);
	for (unsigned i = 0; i < o->store_shards && i < CLOISTER_MAX_SHARDS; i++)
		if (i != shard && o->store_fd[i] >= 0)
			close(o->store_fd[i]);
	if (s->sc == NULL || store_hello(s->sc, r->ticket, r->ticket_len,
	    s->user, sizeof(s->user)) < 0) {
		log_warn("store refused the ticket of %s: %s", r->user,
		    s->sc ? store_client_errmsg(s->sc) : "no memory");
		challenge(s, 503, true, "Mail store unavailable");
		return -1;
	}
	/* the only moment authd is still reachable: mint now, set it on the
	 * Session response (jmap_http_session.c) */
	if (!s->cookie_login && s->rt.id == ROUTE_SESSION &&
	    s->rd.req.method == HTTP_GET &&
	    auth_client_session_mint(s->ac, s->web_token, sizeof(s->web_token),
	    &s->web_lifetime_s) < 0) {
		log_warn("no web session token for %s", r->user);
		s->web_token[0] = '\0';
	} else if (s->web_token[0] != '\0') {
		SHA256((const uint8_t *)s->web_token, strlen(s->web_token),
		    s->web_hash);
		s->web_minted = true;
	}
	auth_client_close(s->ac);
	s->ac = NULL;
	close(o->auth_fd);
	account_id(s->user, s->account_id, sizeof(s->account_id));
	s->acct = (struct jmap_account){ .username = s->user,
		.account_id = s->account_id, .store = s->sc,
		.limits = &o->limits,
		.domain = o->domain[0] != '\0' ? o->domain : NULL };
	s->authed = true;
	jmap_http_socket_limits(s->conn.fd, false);
	/* the prelogin deadline gives way to the request's own */
	client_conn_set_deadline(&s->conn, client_conn_now_ms() +
	    (int64_t)o->request_timeout_s * 1000);
	stats_add(ST_AUTH_OK, 1);
	log_info("login %s%s", s->user, s->conn.tls ? " (TLS)" : "");
	return 0;
}

static int
failed(struct jmap_http_session *s, const struct auth_reply *r)
{
	stats_add(ST_AUTH_FAIL, 1);
	bool last = ++s->failed_auths >= JMAP_AUTH_TRIES;
	if (r != NULL && r->reason == AUTH_FAIL_RATE)
		challenge(s, 429, last, "Too many failed logins; try later");
	else if (r != NULL && r->reason == AUTH_FAIL_TEMPORARY)
		challenge(s, 503, last, "Authentication unavailable");
	else
		challenge(s, 401, last, "Authentication failed");
	return -1;
}

/* "Basic base64(user:password)" -> SASL PLAIN "\0user\0password" in
 * plain; its length, or 0 when malformed. */
static size_t
basic_to_plain(struct http_str v, uint8_t *plain, size_t size)
{
	uint8_t dec[AUTH_DATA_MAX];
	size_t n = 0;
	if (v.n < 7 || strncasecmp(v.p, "Basic ", 6) != 0)
		return 0;
	const char *b64 = v.p + 6;
	size_t blen = v.n - 6;
	while (blen > 0 && *b64 == ' ')
		b64++, blen--;
	if (base64_decode(b64, blen, dec, sizeof(dec), &n) < 0) {
		explicit_bzero(dec, sizeof(dec));
		return 0;
	}
	const uint8_t *colon = memchr(dec, ':', n);
	size_t out = 0;
	if (colon != NULL && colon != dec && n + 2 <= size &&
	    memchr(dec, 0, n) == NULL) {
		size_t ulen = (size_t)(colon - dec);
		plain[0] = 0;
		memcpy(plain + 1, dec, ulen);
		plain[1 + ulen] = 0;
		memcpy(plain + 2 + ulen, colon + 1, n - ulen - 1);
		out = n + 1;
	}
	explicit_bzero(dec, sizeof(dec));
	return out;
}

/* "Bearer TOKEN": an app-specific token (auth_token.h), checked by authd
 * as its pseudo-mechanism. Its length, or 0 when it is no bearer value. */
static size_t
bearer(struct http_str v, uint8_t *dst, size_t size)
{
	if (v.n < 8 || strncasecmp(v.p, "Bearer ", 7) != 0 || v.n - 7 > size)
		return 0;
	memcpy(dst, v.p + 7, v.n - 7);
	return v.n - 7;
}

/* A web session token's shape; anything else never reaches authd. */
static size_t
session_token(struct http_str v, uint8_t *dst, size_t size)
{
	size_t pl = strlen(AUTH_SESSION_PREFIX);
	if (v.n != AUTH_SESSION_LEN || v.n > size ||
	    memcmp(v.p, AUTH_SESSION_PREFIX, pl) != 0)
		return 0;
	for (size_t i = pl; i < v.n; i++)
		if (!((v.p[i] >= '0' && v.p[i] <= '9') ||
		    (v.p[i] >= 'a' && v.p[i] <= 'f')))
			return 0;
	memcpy(dst, v.p, v.n);
	return v.n;
}

static int
login(struct jmap_http_session *s, struct http_str v, bool by_cookie)
{
	if (s->ac == NULL)
		return challenge(s, 503, true, "Authentication unavailable"), -1;
	uint8_t cred[AUTH_DATA_MAX];
	const char *mech = by_cookie ? AUTH_SESSION_MECH : AUTH_TOKEN_MECH;
	size_t n = by_cookie ? session_token(v, cred, sizeof(cred)) :
	    bearer(v, cred, sizeof(cred));
	if (n == 0 && !by_cookie) {
		mech = "PLAIN";
		n = basic_to_plain(v, cred, sizeof(cred));
	}
	if (n == 0)
		return failed(s, NULL);
	struct auth_reply *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		explicit_bzero(cred, sizeof(cred));
		return -1;
	}
	enum auth_status st = auth_client_start(s->ac, mech, cred, n, r);
	explicit_bzero(cred, sizeof(cred));
	s->cookie_login = by_cookie;
	int ret;
	if (st == AUTH_ST_SUCCESS)
		ret = login_done(s, r);
	else if (st == AUTH_ST_FAILURE)
		ret = failed(s, r);
	else if (st == AUTH_ST_CHALLENGE)
		ret = failed(s, NULL);
	else
		ret = (challenge(s, 503, true, "Authentication unavailable"), -1);
	auth_reply_wipe(r);
	free(r);
	return ret;
}

/* What the cookie opens: GETs that change nothing and whose answer a
 * browser's own request needs (EventSource, a link to a download). */
static bool
cookie_route(const struct jmap_http_session *s)
{
	return (s->rt.id == ROUTE_EVENTSOURCE || s->rt.id == ROUTE_DOWNLOAD) &&
	    (s->rd.req.method == HTTP_GET || s->rd.req.method == HTTP_HEAD);
}

int
jmap_http_auth(struct jmap_http_session *s)
{
	struct http_str v = s->rd.req.authorization;
	bool by_cookie = false;
	if (v.p == NULL && cookie_route(s)) {
		v = http_cookie_get(s->rd.req.cookie, JMAP_COOKIE_NAME);
		by_cookie = v.p != NULL;
	}
	s->cookie_tried = by_cookie;
	if (v.p == NULL) {
		challenge(s, 401, s->failed_auths >= JMAP_AUTH_TRIES,
		    "Authentication required");
		return -1;
	}
	uint8_t h[SHA256_DIGEST_LENGTH];
	SHA256((const uint8_t *)v.p, v.n, h);
	if (s->authed) {
		/* a browser sends its EventSource down the connection the
		 * Session came by: the cookie minted there is that login's */
		if (by_cookie && s->web_minted &&
		    CRYPTO_memcmp(h, s->web_hash, sizeof(h)) == 0)
			return 0;
		if (CRYPTO_memcmp(h, s->cred_hash, sizeof(h)) == 0 &&
		    by_cookie == s->cookie_login)
			return 0;
		challenge(s, 401, true, "One user per connection");
		return -1;
	}
	if (!s->opt->tls_listener && !s->opt->plaintext_auth) {
		challenge(s, 403, true, "Passwords only over TLS");
		return -1;
	}
	if (login(s, v, by_cookie) < 0)
		return -1;
	memcpy(s->cred_hash, h, sizeof(h));
	return 0;
}
