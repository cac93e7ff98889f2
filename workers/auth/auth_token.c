/* auth_token: the bearer tokens' format (see auth_token.h). */
#include "auth_token.h"
#include "buf.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

void
auth_token_hash(const char *token, size_t n, char hex[AUTH_TOKEN_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t h[SHA256_DIGEST_LENGTH];
	SHA256((const uint8_t *)token, n, h);
	for (size_t i = 0; i < sizeof(h); i++) {
		hex[2 * i] = digits[h[i] >> 4];
		hex[2 * i + 1] = digits[h[i] & 15];
	}
	hex[AUTH_TOKEN_HEX] = '\0';
}

static bool
all_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

bool
auth_token_well_formed(const char *token, size_t n)
{
	size_t pl = strlen(AUTH_TOKEN_PREFIX);
	return n == AUTH_TOKEN_LEN && memcmp(token, AUTH_TOKEN_PREFIX, pl) == 0 &&
	    all_hex(token + pl, n - pl);
}

bool
auth_token_label_ok(const char *label)
{
	size_t n = strlen(label);
	if (n == 0 || n > AUTH_TOKEN_LABEL_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = label[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* The next space-separated field of [*p, end) into dst. */
static int
field(const char **p, const char *end, char *dst, size_t dstsize)
{
	const char *s = *p;
	const char *sp = memchr(s, ' ', (size_t)(end - s));
	const char *e = sp ? sp : end;
	if (e == s || buf_strlcpy(dst, dstsize, s, (size_t)(e - s)) < 0)
		return -1;
	*p = sp ? sp + 1 : end;
	return 0;
}

int
auth_token_parse_line(const char *line, size_t n, struct auth_token_line *t)
{
	const char *p = line, *end = line + n;
	char created[24];
	memset(t, 0, sizeof(*t));
	if (field(&p, end, t->hash, sizeof(t->hash)) < 0 ||
	    field(&p, end, t->user, sizeof(t->user)) < 0 ||
	    field(&p, end, t->label, sizeof(t->label)) < 0 ||
	    field(&p, end, created, sizeof(created)) < 0 || p != end)
		return -1;
	if (strlen(t->hash) != AUTH_TOKEN_HEX ||
	    !all_hex(t->hash, AUTH_TOKEN_HEX) || !auth_token_label_ok(t->label))
		return -1;
	char *ce;
	t->created = strtoull(created, &ce, 10);
	return *ce == '\0' && created[0] >= '0' && created[0] <= '9' ? 0 : -1;
}

int
auth_token_lookup(const char *text, size_t n, const char *hex, char *user,
    size_t usize)
{
	int found = 0;
	const char *p = text, *end = text + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		struct auth_token_line t;
		if (auth_token_parse_line(p, (size_t)(e - p), &t) == 0 &&
		    CRYPTO_memcmp(t.hash, hex, AUTH_TOKEN_HEX) == 0 && !found &&
		    buf_strlcpy(user, usize, t.user, strlen(t.user)) == 0)
			found = 1;
		explicit_bzero(&t, sizeof(t));
		p = nl ? nl + 1 : end;
	}
	return found;
}
