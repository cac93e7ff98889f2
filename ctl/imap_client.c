/*
 * imap_client: the connection, TLS and the response loop of the IMAP
 * import source (imap_client.h). The login is imap_client_auth.c.
 */
#include "imap_client.h"
#include "imap_client_data.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#define IMAPC_READ_CHUNK 65536u

static int
fail(struct imapc *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
fail(struct imapc *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

static bool
loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
	}
	return false;
}

static int
tcp_connect(struct imapc *c, const struct imapc_opts *o)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int rc = getaddrinfo(o->host, o->port, &hints, &res);
	if (rc != 0)
		return fail(c, "%s: %s", o->host, gai_strerror(rc));
	struct timeval tv = { .tv_sec = o->timeout_s };
	int err = 0;
	for (ai = res; ai != NULL && c->fd < 0; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		/* SO_SNDTIMEO bounds connect() too */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		/* pipelined commands are small writes: no Nagle delay */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			c->fd = fd;
		else {
			err = errno;
			close(fd);
		}
	}
	freeaddrinfo(res);
	if (c->fd < 0)
		return fail(c, "%s port %s: %s", o->host, o->port, strerror(err));
	/* the address actually reached, not the name: plaintext only there */
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	if (o->tls == IMAPC_TLS_NONE &&
	    (getpeername(c->fd, (struct sockaddr *)&peer, &plen) < 0 ||
	    !loopback(&peer)))
		return fail(c, "%s: plaintext is allowed to loopback addresses"
		    " only", o->host);
	return 0;
}

static int
tls_fail(struct imapc *c, const char *what)
{
	unsigned long e = ERR_get_error();
	long v = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;
	if (v != X509_V_OK)
		return fail(c, "%s: certificate: %s", what,
		    X509_verify_cert_error_string(v));
	return fail(c, "%s: %s", what, e ? ERR_reason_error_string(e) :
	    "handshake failed");
}

/* The TLS context with its trust store: read before any confinement. */
static int
tls_context(struct imapc *c, const struct imapc_opts *o)
{
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL ||
	    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) != 1)
		return tls_fail(c, "TLS");
	if (!o->insecure) {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
		/* the system's bundle file, read now: a hashed directory would
		 * be read at verification, after the source confined itself */
		const char *env = getenv(X509_get_default_cert_file_env());
		const char *file = o->ca_file ? o->ca_file : env && *env ? env :
		    X509_get_default_cert_file();
		if (SSL_CTX_load_verify_locations(c->ctx, file, NULL) != 1)
			return tls_fail(c, file);
	}
	return 0;
}

static int
tls_start(struct imapc *c, const struct imapc_opts *o)
{
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		return tls_fail(c, "TLS");
	unsigned char addr[16];
	bool ip = inet_pton(AF_INET, o->host, addr) == 1 ||
	    inet_pton(AF_INET6, o->host, addr) == 1;
	if (!ip)
		SSL_set_tlsext_host_name(c->ssl, o->host);
	if (!o->insecure && (ip ? X509_VERIFY_PARAM_set1_ip_asc(
	    SSL_get0_param(c->ssl), o->host) : SSL_set1_host(c->ssl,
	    o->host)) != 1)
		return tls_fail(c, o->host);
	if (SSL_connect(c->ssl) != 1)
		return tls_fail(c, o->host);
	return 0;
}

static ssize_t
raw_read(struct imapc *c, void *p, size_t n)
{
	if (c->ssl == NULL)
		return read(c->fd, p, n);
	size_t got = 0;
	return SSL_read_ex(c->ssl, p, n, &got) == 1 ? (ssize_t)got : -1;
}

int
imapc_write_line(struct imapc *c, const void *p, size_t n)
{
	const char *s = p;
	while (n > 0) {
		size_t put = 0;
		ssize_t w;
		if (c->ssl != NULL)
			w = SSL_write_ex(c->ssl, s, n, &put) == 1 ? (ssize_t)put : -1;
		else
			w = write(c->fd, s, n);
		if (w <= 0)
			return fail(c, "write: %s", c->ssl ? "TLS error or timeout" :
			    strerror(errno));
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int
imapc_read(struct imapc *c, struct imapc_resp **out)
{
	if (c->used) {
		buf_consume(&c->in, c->used);
		c->used = 0;
		memset(&c->fr, 0, sizeof(c->fr));
	}
	for (;;) {
		long n = imapc_frame_next(&c->fr, (const char *)c->in.data,
		    c->in.len, c->max_literal);
		if (n < 0)
			return fail(c, "a response over the size limit");
		if (n > 0) {
			c->used = (size_t)n;
			if (imapc_resp_parse(&c->resp, (char *)c->in.data,
			    (size_t)n) < 0)
				return fail(c, "a malformed response: %.80s",
				    (const char *)c->in.data);
			*out = &c->resp;
			return 0;
		}
		size_t room = c->in.max - c->in.len;
		if (room > IMAPC_READ_CHUNK)
			room = IMAPC_READ_CHUNK;
		if (room == 0 || buf_reserve(&c->in, room) < 0)
			return fail(c, "a response over the size limit");
		ssize_t got = raw_read(c, c->in.data + c->in.len, room);
		if (got <= 0)
			return fail(c, "the server %s", got == 0 ?
			    "closed the connection" : "did not answer in time");
		c->in.len += (size_t)got;
	}
}

unsigned
imapc_send(struct imapc *c, const char *fmt, ...)
{
	struct buf b = BUF_INIT(IMAPC_LINE_MAX);
	unsigned tag = ++c->tag;
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_printf(&b, "C%u ", tag) < 0 || buf_vprintf(&b, fmt, ap) < 0 ||
	    buf_append(&b, "\r\n", 2) < 0 ? -1 : 0;
	va_end(ap);
	if (rc == 0)
		rc = imapc_write_line(c, b.data, b.len);
	else
		fail(c, "a command over the line limit");
	buf_free_secret(&b);
	return rc == 0 ? tag : 0;
}

static bool
is_tag(const struct imapc_resp *r, unsigned tag)
{
	char t[16];
	int n = snprintf(t, sizeof(t), "C%u", tag);
	return r->kind == IMAPC_TAGGED && r->taglen == (size_t)n &&
	    memcmp(r->tag, t, (size_t)n) == 0;
}

static int
capability_code(struct imapc *c, const struct imapc_resp *r)
{
	if (r->ntoks > 0 && imapc_is(r->toks[0].p, r->toks[0].len,
	    "CAPABILITY"))
		c->caps = imapc_caps(r->toks, r->ntoks);
	return 0;
}

int
imapc_wait(struct imapc *c, unsigned tag, imapc_untagged_fn fn, void *arg)
{
	struct imapc_resp *r;
	for (;;) {
		if (tag == 0 || imapc_read(c, &r) < 0)
			return -1;
		if (r->status)
			capability_code(c, r);
		if (r->kind == IMAPC_UNTAGGED && imapc_is(r->name, r->namelen,
		    "CAPABILITY"))
			c->caps = imapc_caps(r->toks, r->ntoks);
		if (r->kind == IMAPC_UNTAGGED && imapc_is(r->name, r->namelen,
		    "BYE"))
			return fail(c, "the server said BYE: %.*s",
			    (int)(r->textlen > 200 ? 200 : r->textlen), r->text);
		if (r->kind == IMAPC_UNTAGGED && fn != NULL && fn(arg, r) < 0)
			return -1;
		if (r->kind == IMAPC_TAGGED && !is_tag(r, tag))
			return fail(c, "a reply with a tag never sent");
		if (r->kind != IMAPC_TAGGED)
			continue;
		if (imapc_is(r->name, r->namelen, "OK"))
			return 0;
		return fail(c, "%.*s %.*s", (int)r->namelen, r->name,
		    (int)(r->textlen > 200 ? 200 : r->textlen), r->text);
	}
}

static int
greeting(struct imapc *c, bool want_starttls)
{
	struct imapc_resp *r;
	if (imapc_read(c, &r) < 0)
		return -1;
	if (r->kind != IMAPC_UNTAGGED || !r->status ||
	    imapc_is(r->name, r->namelen, "BYE") ||
	    imapc_is(r->name, r->namelen, "NO") ||
	    imapc_is(r->name, r->namelen, "BAD"))
		return fail(c, "the server refused the connection");
	/* PREAUTH before STARTTLS would leave the session in clear text */
	if (want_starttls && imapc_is(r->name, r->namelen, "PREAUTH"))
		return fail(c, "PREAUTH greeting: STARTTLS impossible");
	return capability_code(c, r);
}

static int
starttls(struct imapc *c, const struct imapc_opts *o)
{
	if (!(c->caps & IMAPC_CAP_STARTTLS) &&
	    imapc_wait(c, imapc_send(c, "CAPABILITY"), NULL, NULL) < 0)
		return -1;
	if (!(c->caps & IMAPC_CAP_STARTTLS))
		return fail(c, "the server does not offer STARTTLS");
	if (imapc_wait(c, imapc_send(c, "STARTTLS"), NULL, NULL) < 0)
		return -1;
	/* bytes after the OK were sent in clear and would be read as if
	 * they came through TLS (response injection) */
	if (c->in.len != c->used)
		return fail(c, "clear-text bytes after STARTTLS's OK");
	return tls_start(c, o);
}

int
imapc_init(struct imapc *c, const struct imapc_opts *o)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->max_literal = o->max_literal;
	buf_init(&c->in, o->max_literal + 2 * (size_t)IMAPC_LINE_MAX);
	return o->tls == IMAPC_TLS_NONE ? 0 : tls_context(c, o);
}

int
imapc_connect(struct imapc *c, const struct imapc_opts *o)
{
	return tcp_connect(c, o);
}

int
imapc_start(struct imapc *c, const struct imapc_opts *o)
{
	if (o->tls == IMAPC_TLS_IMPLICIT && tls_start(c, o) < 0)
		return -1;
	if (greeting(c, o->tls == IMAPC_TLS_STARTTLS) < 0)
		return -1;
	if (o->tls == IMAPC_TLS_STARTTLS) {
		if (starttls(c, o) < 0)
			return -1;
		c->caps = 0;    /* what was said in clear counts for nothing */
	}
	if (c->caps == 0 &&
	    imapc_wait(c, imapc_send(c, "CAPABILITY"), NULL, NULL) < 0)
		return -1;
	return 0;
}

int
imapc_quote(struct buf *out, const char *s, size_t n)
{
	if (buf_append_byte(out, '"') < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == 0 || ch == '\r' || ch == '\n' || ch >= 0x80)
			return -1;
		if ((ch == '"' || ch == '\\') && buf_append_byte(out, '\\') < 0)
			return -1;
		if (buf_append_byte(out, ch) < 0)
			return -1;
	}
	return buf_append_byte(out, '"');
}

void
imapc_close(struct imapc *c)
{
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	buf_free(&c->in);
	imapc_resp_free(&c->resp);
	c->ssl = NULL;
	c->ctx = NULL;
	c->fd = -1;
}
