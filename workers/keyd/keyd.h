/*
 * cloister-keyd: the one process that holds the TLS private keys
 * (docs/keyd.md). It loads them as root, confines itself, and signs for
 * each connection worker at most one TLS-shaped input (keyd_shape.h).
 */
#ifndef CLOISTER_KEYD_H
#define CLOISTER_KEYD_H

#include "keyd_certs.h"
#include "keyd_shape.h"

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

struct keyd_key {
	char name[KEYD_CERT_NAME_MAX];   /* "default" or a host name */
	EVP_PKEY *pkey;
	enum keyd_key_type type;
};

struct keyd_keys {
	struct keyd_key k[KEYD_CERTS_MAX];
	size_t n;
};

/* keyd_keys.c: load every certN's key, check it against its chain's
 * certificate and sign once with it (OpenSSL loads its providers now, not
 * inside the chroot). Dies on any error. */
void keyd_keys_load(const struct config *c, const struct config_service *s,
    struct keyd_keys *out);
/* The key named name (exactly, without regard to case), or NULL. */
const struct keyd_key *keyd_keys_find(const struct keyd_keys *ks,
    const char *name, size_t len);
/* Sign in[0..len) with k under scheme s into sig[KEY_SIG_MAX]; 0 or -1. */
int keyd_sign(const struct keyd_key *k, const struct keyd_scheme *s,
    const uint8_t *in, size_t len, uint8_t *sig, size_t *siglen);

/* keyd_serve.c: the loop, after confinement. Never returns. */
void keyd_serve(const struct keyd_keys *ks) __attribute__((noreturn));

#endif
