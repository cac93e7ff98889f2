/* authd_session_token: web session tokens (see authd_session_token.h). */
#include "authd_session_token.h"
#include "buf.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>
#include <sys/random.h>

struct session_token {
	uint8_t hash[SHA256_DIGEST_LENGTH];
	char user[TICKET_USER_MAX + 1];
	char parent[AUTH_TOKEN_HEX + 1];   /* "" : a password logged in */
	uint64_t expiry;                   /* unix seconds; 0: free slot */
};

static struct session_token table[AUTHD_SESSION_TOKENS];

bool
authd_session_mech(const char *mech)
{
	return strcmp(mech, AUTH_SESSION_MECH) == 0;
}

/* A free or expired slot, else the one that expires first. */
static struct session_token *
slot(uint64_t now)
{
	struct session_token *best = &table[0];
	for (size_t i = 0; i < AUTHD_SESSION_TOKENS; i++) {
		if (table[i].expiry <= now)
			return &table[i];
		if (table[i].expiry < best->expiry)
			best = &table[i];
	}
	return best;
}

int
authd_session_mint(const char *user, const char *parent_hex, uint64_t now,
    uint64_t lifetime_s, char tok[AUTH_SESSION_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t r[32];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	size_t pl = strlen(AUTH_SESSION_PREFIX);
	memcpy(tok, AUTH_SESSION_PREFIX, pl);
	for (size_t i = 0; i < sizeof(r); i++) {
		tok[pl + 2 * i] = digits[r[i] >> 4];
		tok[pl + 2 * i + 1] = digits[r[i] & 15];
	}
	tok[AUTH_SESSION_LEN] = '\0';
	explicit_bzero(r, sizeof(r));
	struct session_token *t = slot(now);
	memset(t, 0, sizeof(*t));
	SHA256((const uint8_t *)tok, AUTH_SESSION_LEN, t->hash);
	(void)buf_strlcpy(t->user, sizeof(t->user), user, strlen(user));
	(void)buf_strlcpy(t->parent, sizeof(t->parent), parent_hex,
	    strlen(parent_hex));
	t->expiry = now + lifetime_s;
	return 0;
}

/* The live entry whose hash is h; every entry is compared. */
static struct session_token *
find(const uint8_t h[SHA256_DIGEST_LENGTH], uint64_t now)
{
	struct session_token *hit = NULL;
	for (size_t i = 0; i < AUTHD_SESSION_TOKENS; i++)
		if (CRYPTO_memcmp(table[i].hash, h, SHA256_DIGEST_LENGTH) == 0 &&
		    table[i].expiry > now)
			hit = &table[i];
	return hit;
}

/* Whether the app token t came from is still in the tokens file. */
static int
parent_alive(const char *path, const struct session_token *t,
    struct authd_step *st)
{
	struct buf b = BUF_INIT(AUTH_TOKEN_FILE_MAX);
	char user[TICKET_USER_MAX + 1];
	if (buf_read_file(&b, path) < 0) {
		bool none = errno == ENOENT;
		buf_free(&b);
		authd_step_fail(st,
		    none ? AUTH_FAIL_CREDENTIALS : AUTH_FAIL_TEMPORARY,
		    none ? "app token revoked" : "tokens file unreadable");
		return -1;
	}
	int found = auth_token_lookup((const char *)b.data, b.len, t->parent,
	    user, sizeof(user));
	buf_free(&b);
	if (found != 1 || strcmp(user, t->user) != 0) {
		authd_step_fail(st, AUTH_FAIL_CREDENTIALS, "app token revoked");
		return -1;
	}
	return 0;
}

void
authd_session_check(const char *tokens_path, const uint8_t *token,
    size_t len, bool has_token, uint64_t now, struct authd_step *st)
{
	memset(st, 0, sizeof(*st));
	size_t pl = strlen(AUTH_SESSION_PREFIX);
	if (!has_token || len != AUTH_SESSION_LEN ||
	    memcmp(token, AUTH_SESSION_PREFIX, pl) != 0) {
		authd_step_fail(st, AUTH_FAIL_CREDENTIALS, "not a session token");
		return;
	}
	uint8_t h[SHA256_DIGEST_LENGTH];
	SHA256(token, len, h);
	struct session_token *t = find(h, now);
	if (t == NULL) {
		authd_step_fail(st, AUTH_FAIL_CREDENTIALS,
		    "unknown or expired session");
		return;
	}
	if (t->parent[0] != '\0' && parent_alive(tokens_path, t, st) < 0) {
		memset(t, 0, sizeof(*t));   /* gone for good */
		return;
	}
	(void)buf_strlcpy(st->user, sizeof(st->user), t->user, strlen(t->user));
	st->verdict = AUTHD_OK;
}
