/*
 * smtp_scram: the messages of SASL SCRAM-SHA-256 (RFC 5802, RFC 7677) as
 * submitd, the client, sends and reads them. The proof itself is keyd's
 * (KEY_SCRAM_PROOF): submitd never holds the password. Every input from
 * the relay is bounded; the iteration count must lie within
 * KEY_SCRAM_ITER_MIN..KEY_SCRAM_ITER_MAX, the server's nonce must extend
 * ours. No channel binding ("n,,": the relay's certificate was verified),
 * no authzid; the user name may not hold ',' or '=' (no escaping needed).
 */
#ifndef CLOISTER_SMTP_SCRAM_H
#define CLOISTER_SMTP_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc_types.h"

#define SMTP_SCRAM_USER_MAX 255
#define SMTP_SCRAM_NONCE_MAX 256     /* the combined nonce */
#define SMTP_SCRAM_MSG_MAX 512       /* a decoded server message */

struct smtp_scram {
	char first_bare[SMTP_SCRAM_USER_MAX + 64];   /* n=USER,r=CNONCE */
	size_t first_len;
	size_t cnonce_len;           /* ours, at the end of first_bare */
	char nonce[SMTP_SCRAM_NONCE_MAX + 1];        /* server-first's r= */
	uint8_t salt[KEY_SCRAM_SALT_MAX];
	size_t salt_len;
	uint32_t iter;
	char am[KEY_SCRAM_AUTHMSG_MAX];              /* the AuthMessage */
	size_t am_len;
};

/* Whether user can go into "n=" as it is: printable ASCII, no ',' '='. */
bool smtp_scram_user_ok(const char *user);

/* Begin with user and cnonce (printable, no ','): the base64 of
 * client-first-message in out (NUL-ended). 0 or -1. */
int smtp_scram_first(struct smtp_scram *s, const char *user,
    const char *cnonce, char *out, size_t outsize);

/* The relay's base64 server-first-message (b64, n bytes): salt, i, nonce
 * and the AuthMessage filled. 0, or -1 with why. */
int smtp_scram_server_first(struct smtp_scram *s, const char *b64, size_t n,
    char *why, size_t whylen);

/* The base64 of client-final-message with proof in out. 0 or -1. */
int smtp_scram_final(const struct smtp_scram *s,
    const uint8_t proof[KEY_SCRAM_LEN], char *out, size_t outsize);

/* Whether the relay's base64 server-final-message is "v=" expect. */
bool smtp_scram_server_final_ok(const char *b64, size_t n,
    const uint8_t expect[KEY_SCRAM_LEN]);

/* Base64 (RFC 4648, padded): encoded length, or -1 if out is too small;
 * decoded length, or -1 on anything but canonical base64. */
int smtp_b64_encode(const uint8_t *in, size_t n, char *out, size_t outsize);
int smtp_b64_decode(const char *in, size_t n, uint8_t *out, size_t outsize);

#endif
