/*
 * auth_token: app-specific bearer tokens for jmapd (docs/authd.md,
 * "Bearer tokens"). cloisterctl mints one (`token add`), prints it once
 * and appends a line to the tokens file beside sasldb2; authd checks a
 * token a jmapd relays as the pseudo-mechanism AUTH_TOKEN_MECH and mints
 * the usual ticket for its user.
 *
 * A token is "cltk_" + 64 hex digits (256 random bits). The file keeps only
 * SHA-256(token): with that much entropy no salt is needed (a salt protects
 * guessable secrets) and a pepper would be one more long-term secret on the
 * disk beside the file it protects. Lines:
 *   HASH USER LABEL CREATED\n   (hex, account name, [A-Za-z0-9._-]{1,64},
 *                               unix seconds)
 */
#ifndef CLOISTER_AUTH_TOKEN_H
#define CLOISTER_AUTH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ticket.h"

#define AUTH_TOKEN_MECH "X-CLOISTER-TOKEN"
#define AUTH_TOKEN_PREFIX "cltk_"
#define AUTH_TOKEN_LEN (5 + 64)
#define AUTH_TOKEN_FILE "tokens"
#define AUTH_TOKEN_FILE_MAX (1024 * 1024)
#define AUTH_TOKEN_LABEL_MAX 64
#define AUTH_TOKEN_HEX 64
/* Web session tokens (authd_session_token.h): minted by authd after a
 * login, relayed back by jmapd from a cookie. */
#define AUTH_SESSION_MECH "X-CLOISTER-SESSION"
#define AUTH_SESSION_PREFIX "clws_"
#define AUTH_SESSION_LEN (5 + 64)

struct auth_token_line {
	char hash[AUTH_TOKEN_HEX + 1];
	char user[TICKET_USER_MAX + 1];
	char label[AUTH_TOKEN_LABEL_MAX + 1];
	uint64_t created;
};

/* SHA-256 of the token's n bytes, in lowercase hex. */
void auth_token_hash(const char *token, size_t n,
    char hex[AUTH_TOKEN_HEX + 1]);
/* A token's shape: the prefix and 64 lowercase hex digits. */
bool auth_token_well_formed(const char *token, size_t n);
bool auth_token_label_ok(const char *label);
/* One line (n bytes, no newline): 0, or -1 if malformed. */
int auth_token_parse_line(const char *line, size_t n,
    struct auth_token_line *t);
/* The user whose token hashes to hex in the file's text (n bytes), into
 * user (usize bytes): 1 found, 0 not. Every line is compared (in constant
 * time), whatever matched. */
int auth_token_lookup(const char *text, size_t n, const char *hex,
    char *user, size_t usize);

#endif
