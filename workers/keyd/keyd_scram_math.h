/*
 * keyd_scram_math: the client side of SCRAM-SHA-256 (RFC 5802 3, RFC
 * 7677) as keyd computes it. Only ClientProof and ServerSignature leave
 * keyd; SaltedPassword stays in its cache, ClientKey and StoredKey exist
 * only inside keyd_scram_proof() and are wiped there.
 */
#ifndef CLOISTER_KEYD_SCRAM_MATH_H
#define CLOISTER_KEYD_SCRAM_MATH_H

#include <stddef.h>
#include <stdint.h>

#define KEYD_SCRAM_LEN 32   /* SHA-256 */

/* SaltedPassword := Hi(password, salt, i) (PBKDF2-HMAC-SHA-256): 0 or -1. */
int keyd_scram_salted(const char *pw, size_t pwlen, const uint8_t *salt,
    size_t saltlen, uint32_t iter, uint8_t out[KEYD_SCRAM_LEN]);

/* From SaltedPassword and the AuthMessage: ClientProof and the
 * ServerSignature the relay must show. 0 or -1. */
int keyd_scram_proof(const uint8_t salted[KEYD_SCRAM_LEN], const char *am,
    size_t amlen, uint8_t proof[KEYD_SCRAM_LEN],
    uint8_t server_sig[KEYD_SCRAM_LEN]);

#endif
