/*
 * push_send: one POST to a push service over TLS: connect to an address
 * already resolved (and already checked: push_send never picks where it
 * connects), verify the service's certificate against the CA store
 * loaded before confinement and its name (or IP address) against the
 * URL's host, write the request, read the response head, close. Every
 * step is under one deadline.
 */
#ifndef CLOISTER_PUSH_SEND_H
#define CLOISTER_PUSH_SEND_H

#include <openssl/ssl.h>
#include <sys/socket.h>

#include "buf.h"
#include "push_http.h"
#include "push_url.h"

/* A client SSL_CTX: TLS 1.2+, peer verification on, the CAs of cafile
 * (PEM; NULL: OpenSSL's default paths). NULL on failure. */
SSL_CTX *push_tls_ctx(const char *cafile);

/* Send req (push_http_request's bytes) to the service at addr for url u
 * within timeout_ms. 0 with *r set, or -1 (err says why: connect, TLS,
 * certificate, a malformed or missing response, the deadline). */
int push_send(SSL_CTX *ctx, const struct push_url *u,
    const struct sockaddr *addr, socklen_t alen, const struct buf *req,
    int timeout_ms, struct push_resp *r, char *err, size_t errlen);

#endif
