/*
 * smtp_auth: submitd's side of relay AUTH with SCRAM-SHA-256 that is not
 * the SMTP dialogue: the client nonce (getrandom) and keyd's proof over
 * CLOISTER_FD_KEYD (KEY_SCRAM_PROOF -> KEY_SCRAM). submitd holds neither
 * the password nor any key derived from it; keyd answers this request on
 * submitd's channel only (docs/keyd.md, "Relay AUTH").
 */
#ifndef CLOISTER_SMTP_AUTH_H
#define CLOISTER_SMTP_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "smtp_scram.h"

/* 24 base64 characters of 18 random bytes into out[25]: 0 or -1. */
int smtp_auth_nonce(char out[25]);

/* Ask keyd on fd for the ClientProof and the expected ServerSignature of
 * s's salt, iterations and AuthMessage, waiting up to timeout_ms: 0, or
 * -1 with why (keyd refused). A lost channel or no answer ends the
 * process (cloisterd starts a new one, with a new channel). */
int smtp_auth_proof(int fd, int timeout_ms, const struct smtp_scram *s,
    uint8_t proof[KEY_SCRAM_LEN], uint8_t sig[KEY_SCRAM_LEN], char *why,
    size_t whylen);

#endif
