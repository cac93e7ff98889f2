/*
 * push_deliver: one push message to one subscription, end to end: the
 * host resolved (push_dns.h) unless it is an address, the address
 * checked (push_addr.h) and its port allowed, the JSON encrypted
 * for the subscription's keys (RFC 8291; sent as is when it has none), a
 * VAPID token for the URL's origin, the POST over verified TLS, and the
 * answer classified: sent, gone (404/410: the subscription is to be
 * deleted), retry later (429, 5xx, a network failure: Retry-After
 * honoured, capped), or failed for good (any other answer).
 */
#ifndef CLOISTER_PUSH_DELIVER_H
#define CLOISTER_PUSH_DELIVER_H

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "push_dns.h"

struct push_sender {
	SSL_CTX *tls;                 /* push_tls_ctx() */
	EVP_PKEY *vapid;              /* the VAPID key pair (P-256) */
	const char *subject;          /* "mailto:postmaster@example.org" */
	bool allow_loopback;          /* tests only */
	uint16_t extra_port;          /* a port besides 443 (tests), 0: none */
	int timeout_ms;               /* per attempt */
	/* the resolvers (push_dns.h), read before confinement */
	const struct push_dns_addr *dns;
	size_t ndns;
	uint16_t dns_port;            /* 53; another for tests */
	/* Set: the Authorization value comes from here (cloister-keyd holds
	 * the key; vapid is then NULL), appended to out; 0 or -1. */
	int (*vapid_fn)(void *ctx, const char *aud, uint64_t exp,
	    struct buf *out);
	void *vapid_ctx;
};

struct push_target {
	const char *url;
	const uint8_t *p256dh;        /* 65 bytes, or NULL: no encryption */
	const uint8_t *auth;          /* 16 bytes */
};

enum push_outcome { PUSH_SENT, PUSH_GONE, PUSH_RETRY, PUSH_FAILED };

/* Send json (a StateChange or PushVerification) with TTL ttl. On
 * PUSH_RETRY *retry_after is the service's wish (0: none). err gets the
 * reason of anything but PUSH_SENT. */
enum push_outcome push_deliver(const struct push_sender *s,
    const struct push_target *t, const char *json, uint32_t ttl,
    uint32_t *retry_after, char *err, size_t errlen);

#endif
