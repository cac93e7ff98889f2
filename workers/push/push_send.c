/* push_send: the TLS exchange with a push service (push_send.h). */
#include "push_send.h"
#include "push_net.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

SSL_CTX *
push_tls_ctx(const char *cafile)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	int ok = cafile != NULL ? SSL_CTX_load_verify_locations(ctx, cafile,
	    NULL) : SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* Run one SSL call until it is done or the deadline passes. */
#define SSL_RETRY(ssl, fd, deadline, call, rc)                             \
	for (;;) {                                                         \
		(rc) = (call);                                             \
		if ((rc) > 0)                                              \
			break;                                             \
		int _e = SSL_get_error((ssl), (rc));                       \
		if ((_e != SSL_ERROR_WANT_READ &&                          \
		    _e != SSL_ERROR_WANT_WRITE) || !push_wait_fd((fd),          \
		    _e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,          \
		    (deadline)))                                           \
			break;                                             \
	}

/* The name check: an IP literal against the certificate's IP SANs,
 * else the host name (and SNI). */
static int
set_peer_name(SSL *ssl, const char *host)
{
	unsigned char a[16];
	if (inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) ==
		    1 ? 0 : -1;
	return SSL_set_tlsext_host_name(ssl, host) == 1 &&
	    SSL_set1_host(ssl, host) == 1 ? 0 : -1;
}

/* Read the response head into a bounded buffer. */
static int
read_head(SSL *ssl, int fd, long deadline, struct push_resp *r)
{
	static uint8_t head[PUSH_RESP_HEAD_MAX];
	size_t n = 0;
	while (n < sizeof(head)) {
		int got;
		SSL_RETRY(ssl, fd, deadline, SSL_read(ssl, head + n,
		    (int)(sizeof(head) - n)), got);
		if (got <= 0)
			return -1;
		n += (size_t)got;
		int rc = push_http_response(head, n, r);
		if (rc != 0)
			return rc == 1 ? 0 : -1;
	}
	return -1;
}

int
push_send(SSL_CTX *ctx, const struct push_url *u,
    const struct sockaddr *addr, socklen_t alen, const struct buf *req,
    int timeout_ms, struct push_resp *r, char *err, size_t errlen)
{
	long deadline = push_now_ms() + timeout_ms;
	const char *why = "connect";
	int rc = -1, n = 0;
	SSL *ssl = NULL;
	int fd = push_connect(addr, alen, deadline);
	if (fd < 0)
		goto out;
	why = "TLS";
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    set_peer_name(ssl, u->host) < 0)
		goto out;
	SSL_RETRY(ssl, fd, deadline, SSL_connect(ssl), n);
	if (n <= 0) {
		why = SSL_get_verify_result(ssl) != X509_V_OK ?
		    "certificate" : "TLS handshake";
		goto out;
	}
	why = "write";
	for (size_t off = 0; off < req->len; off += (size_t)n) {
		SSL_RETRY(ssl, fd, deadline, SSL_write(ssl, req->data + off,
		    (int)(req->len - off)), n);
		if (n <= 0)
			goto out;
	}
	why = "response";
	rc = read_head(ssl, fd, deadline, r);
out:
	if (rc < 0)
		snprintf(err, errlen, "%s failed%s", why, push_now_ms() >= deadline ?
		    " (timeout)" : "");
	ERR_clear_error();
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	return rc;
}
