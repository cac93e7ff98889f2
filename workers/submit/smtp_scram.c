/* smtp_scram: SCRAM-SHA-256's client messages (see smtp_scram.h). */
#include "smtp_scram.h"
#include "base64.h"
#include "buf.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

/* base64.h's codec over a bounded, NUL-ended char buffer */
int
smtp_b64_encode(const uint8_t *in, size_t n, char *out, size_t outsize)
{
	struct buf b = BUF_INIT(outsize);
	int rc = -1;
	if (base64_encode(in, n, &b) == 0 && b.len < outsize) {
		memcpy(out, b.data, b.len);
		out[b.len] = '\0';
		rc = (int)b.len;
	}
	buf_free(&b);
	return rc;
}

int
smtp_b64_decode(const char *in, size_t n, uint8_t *out, size_t outsize)
{
	size_t len;
	if (n == 0 || base64_decode(in, n, out, outsize, &len) < 0)
		return -1;
	return (int)len;
}

bool
smtp_scram_user_ok(const char *user)
{
	if (user[0] == '\0' || strlen(user) > SMTP_SCRAM_USER_MAX)
		return false;
	for (const char *p = user; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == ',' || *p == '=')
			return false;
	return true;
}

int
smtp_scram_first(struct smtp_scram *s, const char *user, const char *cnonce,
    char *out, size_t outsize)
{
	char msg[sizeof(s->first_bare) + 4];
	memset(s, 0, sizeof(*s));
	if (!smtp_scram_user_ok(user) || cnonce[0] == '\0' ||
	    strchr(cnonce, ',') != NULL || strlen(cnonce) > 64)
		return -1;
	int n = snprintf(s->first_bare, sizeof(s->first_bare), "n=%s,r=%s", user,
	    cnonce);
	if (n < 0 || (size_t)n >= sizeof(s->first_bare))
		return -1;
	s->first_len = (size_t)n;
	s->cnonce_len = strlen(cnonce);
	n = snprintf(msg, sizeof(msg), "n,,%s", s->first_bare);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	return smtp_b64_encode((const uint8_t *)msg, (size_t)n, out, outsize) < 0 ?
	    -1 : 0;
}

/* The value of attribute a ("r=...") at p (up to ',' or end), or NULL. */
static const char *
attr(const char *p, char a, size_t *len)
{
	if (p[0] != a || p[1] != '=')
		return NULL;
	const char *end = strchr(p + 2, ',');
	*len = end != NULL ? (size_t)(end - p - 2) : strlen(p + 2);
	return p + 2;
}

static int
fail(char *why, size_t whylen, const char *what)
{
	buf_snprintf(why, whylen, "SCRAM server-first: %s", what);
	return -1;
}

int
smtp_scram_server_first(struct smtp_scram *s, const char *b64, size_t n,
    char *why, size_t whylen)
{
	char msg[SMTP_SCRAM_MSG_MAX + 1];
	int m = smtp_b64_decode(b64, n, (uint8_t *)msg, SMTP_SCRAM_MSG_MAX);
	if (m <= 0)
		return fail(why, whylen, "not base64");
	msg[m] = '\0';
	if (strlen(msg) != (size_t)m)
		return fail(why, whylen, "a NUL byte");
	size_t rl, sl, il;
	const char *r = attr(msg, 'r', &rl);   /* "m=" (RFC 5802 5.1): refused */
	const char *sa = r != NULL && r[rl] == ',' ? attr(r + rl + 1, 's', &sl) :
	    NULL;
	const char *it = sa != NULL && sa[sl] == ',' ?
	    attr(sa + sl + 1, 'i', &il) : NULL;
	if (it == NULL)
		return fail(why, whylen, "not r=,s=,i=");
	const char *cn = s->first_bare + s->first_len - s->cnonce_len;
	if (rl <= s->cnonce_len || rl > SMTP_SCRAM_NONCE_MAX ||
	    memcmp(r, cn, s->cnonce_len) != 0)
		return fail(why, whylen, "the nonce does not extend ours");
	for (size_t i = 0; i < rl; i++)
		if (r[i] < 0x21 || r[i] > 0x7e)
			return fail(why, whylen, "a bad nonce character");
	int k = smtp_b64_decode(sa, sl, s->salt, sizeof(s->salt));
	if (k <= 0)
		return fail(why, whylen, "a bad salt");
	s->salt_len = (size_t)k;
	uint64_t iter = 0;
	for (size_t i = 0; i < il; i++) {
		if (it[i] < '0' || it[i] > '9' || iter > KEY_SCRAM_ITER_MAX)
			return fail(why, whylen, "a bad iteration count");
		iter = iter * 10 + (uint64_t)(it[i] - '0');
	}
	if (il == 0 || iter < KEY_SCRAM_ITER_MIN || iter > KEY_SCRAM_ITER_MAX)
		return fail(why, whylen, "an iteration count out of 4096..100000");
	s->iter = (uint32_t)iter;
	memcpy(s->nonce, r, rl);
	s->nonce[rl] = '\0';
	/* AuthMessage := client-first-bare "," server-first ","
	 * client-final-without-proof */
	int a = snprintf(s->am, sizeof(s->am), "%s,%s,c=biws,r=%s", s->first_bare,
	    msg, s->nonce);
	if (a < 0 || (size_t)a >= sizeof(s->am))
		return fail(why, whylen, "too long");
	s->am_len = (size_t)a;
	return 0;
}

int
smtp_scram_final(const struct smtp_scram *s, const uint8_t proof[KEY_SCRAM_LEN],
    char *out, size_t outsize)
{
	char p[64], msg[SMTP_SCRAM_NONCE_MAX + 80];
	if (smtp_b64_encode(proof, KEY_SCRAM_LEN, p, sizeof(p)) < 0)
		return -1;
	int n = snprintf(msg, sizeof(msg), "c=biws,r=%s,p=%s", s->nonce, p);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	return smtp_b64_encode((const uint8_t *)msg, (size_t)n, out, outsize) < 0 ?
	    -1 : 0;
}

bool
smtp_scram_server_final_ok(const char *b64, size_t n,
    const uint8_t expect[KEY_SCRAM_LEN])
{
	char msg[SMTP_SCRAM_MSG_MAX + 1];
	uint8_t v[KEY_SCRAM_LEN + 3];
	int m = smtp_b64_decode(b64, n, (uint8_t *)msg, SMTP_SCRAM_MSG_MAX);
	if (m < 2 || msg[0] != 'v' || msg[1] != '=')
		return false;
	size_t vl = 2;
	while (vl < (size_t)m && msg[vl] != ',')
		vl++;
	int k = smtp_b64_decode(msg + 2, vl - 2, v, sizeof(v));
	return k == KEY_SCRAM_LEN && CRYPTO_memcmp(v, expect, KEY_SCRAM_LEN) == 0;
}
