/*
 * authd_session_token: short-lived web session tokens for a browser's own
 * EventSource and downloads, which cannot send an Authorization header
 * (docs/authd.md, "Web session tokens"). jmapd asks for one
 * (AUTH_SESSION_MINT) on a channel that has just logged in with a password
 * or an app token; authd mints it for the user of that login, never one a
 * worker names. The token ("clws_" + 64 hex digits, 256 random bits)
 * leaves authd once; authd keeps only its SHA-256, the user, the expiry
 * and, if an app token logged in, that token's hash. jmapd relays it back
 * as the pseudo-mechanism AUTH_SESSION_MECH; the check is one table scan
 * (and, for a token from an app token, one read of the tokens file: a
 * revoked app token takes its session tokens with it). The table lives in
 * authd's memory: a restart of authd ends every web session.
 */
#ifndef CLOISTER_AUTHD_SESSION_TOKEN_H
#define CLOISTER_AUTHD_SESSION_TOKEN_H

#include "auth_token.h"
#include "authd_sasl.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Tokens held at once; past it the one nearest its expiry gives way. */
#define AUTHD_SESSION_TOKENS 4096

bool authd_session_mech(const char *mech);
/* Mint a token for user (parent_hex: the app token's hash, or "") valid
 * until now + lifetime_s, into tok. 0, or -1 if no randomness. */
int authd_session_mint(const char *user, const char *parent_hex,
    uint64_t now, uint64_t lifetime_s, char tok[AUTH_SESSION_LEN + 1]);
/* AUTHD_OK with st->user, or AUTHD_FAIL (credentials: unknown, expired,
 * or its app token revoked; temporary if the tokens file is unreadable). */
void authd_session_check(const char *tokens_path, const uint8_t *token,
    size_t len, bool has_token, uint64_t now, struct authd_step *st);

#endif
