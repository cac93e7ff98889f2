/*
 * push_vapid: the VAPID authorization of a push request (RFC 8292): an
 * ES256 JWT {"aud": the endpoint's origin, "exp": at most 24 hours ahead,
 * "sub": the operator's mailto: contact} and the public key, as
 * `Authorization: vapid t=JWT, k=KEY`.
 */
#ifndef CLOISTER_PUSH_VAPID_H
#define CLOISTER_PUSH_VAPID_H

#include <openssl/evp.h>
#include <stdint.h>

#include "buf.h"

#define PUSH_VAPID_MAX_LIFETIME (24u * 3600)

/* Append the header's value ("vapid t=..., k=...") to out. key is the
 * P-256 private key; exp is clamped to now + 24 h. 0 or -1. */
int push_vapid_header(EVP_PKEY *key, const char *aud, const char *sub,
    uint64_t now, uint64_t exp, struct buf *out);

/* The raw r||s (64 bytes) of an ES256 signature of in (n bytes). */
int push_es256_sign(EVP_PKEY *key, const void *in, size_t n,
    uint8_t sig[64]);

#endif
