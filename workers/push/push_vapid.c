/* push_vapid: VAPID JWTs signed with ES256 (push_vapid.h). */
#include "push_vapid.h"
#include "push_b64.h"
#include "push_ece.h"

#include <jansson.h>
#include <openssl/ecdsa.h>
#include <stdlib.h>
#include <string.h>

int
push_es256_sign(EVP_PKEY *key, const void *in, size_t n, uint8_t sig[64])
{
	uint8_t der[80];
	size_t dn = sizeof(der);
	const uint8_t *p = der;
	ECDSA_SIG *s = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL &&
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(md, der, &dn, in, n) == 1 &&
	    (s = d2i_ECDSA_SIG(NULL, &p, (long)dn)) != NULL &&
	    BN_bn2binpad(ECDSA_SIG_get0_r(s), sig, 32) == 32 &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(s), sig + 32, 32) == 32;
	ECDSA_SIG_free(s);
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

int
push_vapid_header(EVP_PKEY *key, const char *aud, const char *sub,
    uint64_t now, uint64_t exp, struct buf *out)
{
	static const char hdr[] = "{\"typ\":\"JWT\",\"alg\":\"ES256\"}";
	uint8_t sig[64], pub[65];
	struct buf jwt = BUF_INIT(4096);
	int rc = -1;
	if (exp > now + PUSH_VAPID_MAX_LIFETIME)
		exp = now + PUSH_VAPID_MAX_LIFETIME;
	json_t *claims = json_pack("{sssIss}", "aud", aud, "exp",
	    (json_int_t)exp, "sub", sub);
	char *c = claims ? json_dumps(claims, JSON_COMPACT) : NULL;
	if (c == NULL || push_p256_point(key, pub) < 0 ||
	    push_b64url_encode(hdr, strlen(hdr), &jwt) < 0 ||
	    buf_append_byte(&jwt, '.') < 0 ||
	    push_b64url_encode(c, strlen(c), &jwt) < 0 ||
	    push_es256_sign(key, jwt.data, jwt.len, sig) < 0 ||
	    buf_append_byte(&jwt, '.') < 0 ||
	    push_b64url_encode(sig, sizeof(sig), &jwt) < 0)
		goto out;
	if (buf_append_str(out, "vapid t=") < 0 ||
	    buf_append(out, jwt.data, jwt.len) < 0 ||
	    buf_append_str(out, ", k=") < 0 ||
	    push_b64url_encode(pub, sizeof(pub), out) < 0)
		goto out;
	rc = 0;
out:
	free(c);
	json_decref(claims);
	buf_free(&jwt);
	return rc;
}
