/* Unit tests for workers/auth/authd_session_token: a minted token's
 * shape, the check (user, unknown, malformed, expired), a token from an
 * app token that is revoked once that token leaves the tokens file (and
 * stays revoked when it comes back), and eviction of the entry nearest
 * its expiry when the table is full. */
#include "check.h"
#include "auth_token.h"
#include "authd_session_token.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char tokens_path[64];

static int
check_tok(const char *tok, uint64_t now, struct authd_step *st)
{
	authd_session_check(tokens_path, (const uint8_t *)tok, strlen(tok),
	    true, now, st);
	return st->verdict == AUTHD_OK ? 0 : -1;
}

static void
write_tokens(const char *line)
{
	FILE *f = fopen(tokens_path, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(line, f);
	fclose(f);
}

static void
test_mint_and_check(void)
{
	char tok[AUTH_SESSION_LEN + 1], other[AUTH_SESSION_LEN + 1];
	struct authd_step st;
	CHECK(authd_session_mint("alice", "", 1000, 60, tok) == 0);
	CHECK(strlen(tok) == AUTH_SESSION_LEN);
	CHECK(strncmp(tok, "clws_", 5) == 0);
	CHECK(authd_session_mint("bob", "", 1000, 60, other) == 0);
	CHECK(strcmp(tok, other) != 0);
	CHECK(check_tok(tok, 1001, &st) == 0 && strcmp(st.user, "alice") == 0);
	CHECK(check_tok(other, 1001, &st) == 0 && strcmp(st.user, "bob") == 0);
	/* expired at 1060 */
	CHECK(check_tok(tok, 1060, &st) < 0 &&
	    st.reason == AUTH_FAIL_CREDENTIALS);
	tok[10] = tok[10] == 'a' ? 'b' : 'a';
	CHECK(check_tok(tok, 1001, &st) < 0);
	CHECK(check_tok("clws_short", 1001, &st) < 0);
	authd_session_check(tokens_path, NULL, 0, false, 1001, &st);
	CHECK(st.verdict == AUTHD_FAIL);
}

static void
test_parent_revoked(void)
{
	const char *app = "cltk_00112233445566778899aabbccddeeff00112233445566778899"
	    "aabbccddeeff";
	char hex[AUTH_TOKEN_HEX + 1], line[256], tok[AUTH_SESSION_LEN + 1];
	struct authd_step st;
	auth_token_hash(app, strlen(app), hex);
	snprintf(line, sizeof(line), "%s alice web 1700000000\n", hex);
	write_tokens(line);
	CHECK(authd_session_mint("alice", hex, 2000, 60, tok) == 0);
	CHECK(check_tok(tok, 2001, &st) == 0);
	write_tokens("");
	CHECK(check_tok(tok, 2001, &st) < 0 &&
	    st.reason == AUTH_FAIL_CREDENTIALS);
	/* the same app token added back does not revive the session */
	write_tokens(line);
	CHECK(check_tok(tok, 2001, &st) < 0);
	/* another user's line with that hash is no parent for alice */
	CHECK(authd_session_mint("alice", hex, 2000, 60, tok) == 0);
	snprintf(line, sizeof(line), "%s bob web 1700000000\n", hex);
	write_tokens(line);
	CHECK(check_tok(tok, 2001, &st) < 0);
	unlink(tokens_path);
	CHECK(check_tok(tok, 2001, &st) < 0);
}

static void
test_eviction(void)
{
	static char toks[AUTHD_SESSION_TOKENS + 1][AUTH_SESSION_LEN + 1];
	struct authd_step st;
	/* a fresh clock far ahead: every earlier entry has expired */
	uint64_t now = 100000;
	for (size_t i = 0; i <= AUTHD_SESSION_TOKENS; i++)
		CHECK(authd_session_mint("carol", "", now, 100 + i, toks[i]) == 0);
	/* the last one took the slot of the first (nearest its expiry) */
	CHECK(check_tok(toks[0], now + 1, &st) < 0);
	CHECK(check_tok(toks[1], now + 1, &st) == 0);
	CHECK(check_tok(toks[AUTHD_SESSION_TOKENS], now + 1, &st) == 0);
}

int
main(void)
{
	snprintf(tokens_path, sizeof(tokens_path), "/tmp/test_session_tokens.%d",
	    (int)getpid());
	test_mint_and_check();
	test_parent_revoked();
	test_eviction();
	unlink(tokens_path);
	return check_done("auth_session_token");
}
