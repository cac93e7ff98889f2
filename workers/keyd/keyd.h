/*
 * cloister-keyd: the one process that holds the TLS private keys
 * (docs/keyd.md). It loads them as root, confines itself, and signs for
 * each connection worker at most one TLS-shaped input (keyd_shape.h).
 */
#ifndef CLOISTER_KEYD_H
#define CLOISTER_KEYD_H

#include "keyd_certs.h"
#include "keyd_scram_math.h"
#include "keyd_shape.h"
#include "buf.h"
#include "config.h"
#include "ipc_types.h"

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

/* The VAPID key pushd's tokens are signed with (RFC 8292), or none. */
struct keyd_vapid {
	EVP_PKEY *key;                   /* NULL: no vapid-key */
	char subject[256];               /* the operator's contact */
};

/* keyd_vapid.c: load vapid-key and vapid-subject (both or neither) and
 * make one token; dies on any error. */
void keyd_vapid_load(const struct config *c, const struct config_service *s,
    struct keyd_vapid *v);
/* The Authorization value for audience aud (n bytes, an https origin)
 * expiring at exp (after now, within 24 h) appended to out: 0, or the
 * error code with why filled. */
uint32_t keyd_vapid_sign(const struct keyd_vapid *v, const char *aud,
    size_t n, uint64_t exp, uint64_t now, struct buf *out, char *why,
    size_t whylen);

/* The relay password submitd authenticates with (SCRAM-SHA-256), and
 * SaltedPassword per (salt, iterations) it was asked for: PBKDF2 runs
 * once per pair, not once per connection. */
#define KEYD_SCRAM_CACHE 4
/* new (salt, iterations) pairs per minute: a hijacked submitd cannot keep
 * keyd, which signs every TLS handshake, busy with PBKDF2 */
#define KEYD_SCRAM_DERIVE_PER_MIN 4
struct keyd_scram_cached {
	uint8_t salt[KEY_SCRAM_SALT_MAX];
	size_t saltlen;
	uint32_t iter;                   /* 0: empty */
	uint8_t salted[KEYD_SCRAM_LEN];
};
struct keyd_scram {
	char user[256];                  /* relay-auth-user */
	char pw[1024];                   /* "": no relay-auth-secret-file */
	size_t pwlen;
	struct keyd_scram_cached cache[KEYD_SCRAM_CACHE];
	unsigned next;                   /* the cache slot to replace */
	uint64_t derived;                /* PBKDF2 runs so far */
	int64_t derive_at[KEYD_SCRAM_DERIVE_PER_MIN];   /* the last runs' times */
};

/* keyd_scram.c: the submit service's relay-auth-user and
 * relay-auth-secret-file (root-only, else it dies), if set. */
void keyd_scram_load(const struct config *c, struct keyd_scram *st);
/* ClientProof and the expected ServerSignature (KEY_SCRAM_LEN each) for
 * AuthMessage am under (salt, iter): 0, or the error code with why. */
uint32_t keyd_scram_answer(struct keyd_scram *st, const uint8_t *salt,
    size_t saltlen, uint32_t iter, const char *am, size_t amlen,
    uint8_t *proof, uint8_t *sig, int64_t now, char *why, size_t whylen);

/* keyd_serve.c: the loop, after confinement. Never returns. */
void keyd_serve(const struct keyd_keys *ks, const struct keyd_vapid *v,
    struct keyd_scram *sc) __attribute__((noreturn));

#endif
