/*
 * push_ece: Web Push message encryption (RFC 8291) in the aes128gcm
 * content coding (RFC 8188): an ephemeral P-256 key agreed with the
 * subscription's p256dh key, mixed with its auth secret (HKDF-SHA-256),
 * one AES-128-GCM record. The body is salt(16) rs(4) idlen(1)=65
 * keyid(the ephemeral public key, 65) and the record: the plaintext, the
 * last-record delimiter 0x02, the 16-byte tag.
 */
#ifndef CLOISTER_PUSH_ECE_H
#define CLOISTER_PUSH_ECE_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#define PUSH_ECE_RS 4096u              /* record size: one record */
#define PUSH_ECE_HEADER (16 + 4 + 1 + 65)
/* The largest plaintext one record holds. */
#define PUSH_ECE_MAX_PLAIN (PUSH_ECE_RS - 1 - 16)

/* Encrypt plain (n bytes, at most PUSH_ECE_MAX_PLAIN) for the user agent
 * key ua_pub (65 bytes, uncompressed) and auth (16 bytes) into out (at
 * least PUSH_ECE_HEADER + n + 17 bytes); *outlen its length. as_key and
 * salt are the sender's ephemeral key and salt: NULL for fresh random
 * ones (always, except to reproduce a test vector). 0, or -1 on a bad key
 * or a crypto failure. */
int push_ece_encrypt(const uint8_t ua_pub[65], const uint8_t auth[16],
    const uint8_t *plain, size_t n, EVP_PKEY *as_key,
    const uint8_t *salt, uint8_t *out, size_t cap, size_t *outlen);

/* A P-256 public key from its uncompressed point (65 bytes), or NULL. */
EVP_PKEY *push_p256_public(const uint8_t pt[65]);
/* The uncompressed point of key's public half into pt; 0 or -1. */
int push_p256_point(EVP_PKEY *key, uint8_t pt[65]);

#endif
