/* smtp_io: plain or TLS bytes to the relay (see smtp_io.h). */
#include "smtp_io.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

static const char *verify_host;   /* the name or address to check */

SSL_CTX *
smtp_tls_context(const char *cafile, const char *verify_name)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if ((cafile != NULL ? SSL_CTX_load_verify_locations(ctx, cafile, NULL) :
	    SSL_CTX_set_default_verify_paths(ctx)) != 1)
		goto fail;
	verify_host = verify_name;
	return ctx;
fail:
	log_err("relay TLS: %s: %s", cafile != NULL ? cafile : "default CA store",
	    ERR_reason_error_string(ERR_get_error()));
	SSL_CTX_free(ctx);
	return NULL;
}

static int
wait_for(struct smtp_io *io, short ev)
{
	struct pollfd p = { .fd = io->fd, .events = ev };
	int n;
	while ((n = poll(&p, 1, io->timeout_ms)) < 0 && errno == EINTR)
		;
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

/* After an SSL call returned rc: 1 to call again (after waiting), 0 done
 * (rc > 0), -1 failed. */
static int
tls_again(struct smtp_io *io, int rc)
{
	if (rc > 0)
		return 0;
	switch (SSL_get_error(io->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return wait_for(io, POLLIN) < 0 ? -1 : 1;
	case SSL_ERROR_WANT_WRITE:
		return wait_for(io, POLLOUT) < 0 ? -1 : 1;
	case SSL_ERROR_ZERO_RETURN:
		errno = 0;
		return -1;
	default:
		errno = EPROTO;
		return -1;
	}
}

ssize_t
smtp_io_read(struct smtp_io *io, void *p, size_t n)
{
	for (int tries = 0; tries < 1000; tries++) {
		if (io->ssl != NULL) {
			size_t got = 0;
			int rc = SSL_read_ex(io->ssl, p, n, &got);
			int a = tls_again(io, rc);
			if (a == 0)
				return (ssize_t)got;
			if (a < 0)
				return errno == 0 ? 0 : -1;
			continue;
		}
		ssize_t k = read(io->fd, p, n);
		if (k >= 0 || (errno != EAGAIN && errno != EINTR))
			return k;
		if (wait_for(io, POLLIN) < 0)
			return -1;
	}
	errno = EIO;
	return -1;
}

int
smtp_io_write_all(struct smtp_io *io, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t k;
		if (io->ssl != NULL) {
			size_t put = 0;
			int a = tls_again(io, SSL_write_ex(io->ssl, p, n, &put));
			if (a < 0)
				return -1;
			k = a == 0 ? (ssize_t)put : 0;
		} else {
			k = send(io->fd, p, n, MSG_NOSIGNAL);
			if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
				if (wait_for(io, POLLOUT) < 0)
					return -1;
				continue;
			}
			if (k <= 0)
				return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int
smtp_io_starttls(struct smtp_io *io, SSL_CTX *ctx, char *err, size_t errsize)
{
	io->ssl = SSL_new(ctx);
	if (io->ssl == NULL || SSL_set_fd(io->ssl, io->fd) != 1)
		goto fail;
	X509_VERIFY_PARAM *vp = SSL_get0_param(io->ssl);
	if (verify_host != NULL && X509_VERIFY_PARAM_set1_ip_asc(vp, verify_host) != 1) {
		/* not an address: a host name, also sent as SNI */
		if (SSL_set1_host(io->ssl, verify_host) != 1 ||
		    SSL_set_tlsext_host_name(io->ssl, verify_host) != 1)
			goto fail;
	}
	for (int tries = 0; tries < 1000; tries++) {
		int a = tls_again(io, SSL_connect(io->ssl));
		if (a == 0)
			return 0;
		if (a < 0)
			break;
	}
fail:;
	long v = io->ssl != NULL ? SSL_get_verify_result(io->ssl) : X509_V_OK;
	snprintf(err, errsize, "STARTTLS: %s", v != X509_V_OK ?
	    X509_verify_cert_error_string(v) : errno == ETIMEDOUT ?
	    "timed out" : "handshake failed");
	SSL_free(io->ssl);
	io->ssl = NULL;
	ERR_clear_error();
	return -1;
}

void
smtp_io_end(struct smtp_io *io)
{
	if (io->ssl != NULL) {     /* plain: OpenSSL is never touched */
		SSL_free(io->ssl);    /* no close_notify wait: QUIT was sent */
		io->ssl = NULL;
		ERR_clear_error();
	}
}
