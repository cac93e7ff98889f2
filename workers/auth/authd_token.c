/* authd_token: checking a bearer token against the tokens file (see
 * authd_token.h). */
#include "authd_token.h"
#include "auth_token.h"
#include "buf.h"

#include <errno.h>
#include <string.h>

bool
authd_token_mech(const char *mech)
{
	return strcmp(mech, AUTH_TOKEN_MECH) == 0;
}

void
authd_token_check(const char *path, const uint8_t *token, size_t len,
    bool has_token, struct authd_step *st)
{
	memset(st, 0, sizeof(*st));
	if (!has_token || !auth_token_well_formed((const char *)token, len)) {
		authd_step_fail(st, AUTH_FAIL_CREDENTIALS, "not a token");
		return;
	}
	char hex[AUTH_TOKEN_HEX + 1];
	auth_token_hash((const char *)token, len, hex);
	struct buf b = BUF_INIT(AUTH_TOKEN_FILE_MAX);
	if (buf_read_file(&b, path) < 0) {
		bool none = errno == ENOENT;
		buf_free(&b);
		authd_step_fail(st,
		    none ? AUTH_FAIL_CREDENTIALS : AUTH_FAIL_TEMPORARY,
		    none ? "no tokens file" : "tokens file unreadable");
		return;
	}
	if (auth_token_lookup((const char *)b.data, b.len, hex, st->user,
	    sizeof(st->user)) == 1)
		st->verdict = AUTHD_OK;
	else
		authd_step_fail(st, AUTH_FAIL_CREDENTIALS, "unknown token");
	buf_free(&b);
	explicit_bzero(hex, sizeof(hex));
}
