/*
 * authd_token: authd's check of a bearer token (auth_token.h) that jmapd
 * relays as the pseudo-mechanism AUTH_TOKEN_MECH: one step, no SASL. The
 * tokens file is read at each check (cloisterctl replaces it whole), so a
 * revoked token stops working at once.
 */
#ifndef CLOISTER_AUTHD_TOKEN_H
#define CLOISTER_AUTHD_TOKEN_H

#include "authd_sasl.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The tokens file inside authd's root (beside /sasldb2). */
#define AUTHD_TOKENS_PATH "/tokens"

bool authd_token_mech(const char *mech);
/* AUTHD_OK with st->user, or AUTHD_FAIL with the reason (credentials for
 * an unknown or malformed token, temporary if the file cannot be read). */
void authd_token_check(const char *path, const uint8_t *token, size_t len,
    bool has_token, struct authd_step *st);

#endif
