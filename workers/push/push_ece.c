/* push_ece: RFC 8291 message encryption with OpenSSL (push_ece.h). */
#include "push_ece.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <string.h>

EVP_PKEY *
push_p256_public(const uint8_t pt[65])
{
	EVP_PKEY *key = NULL;
	if (pt[0] != 0x04)
		return NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
		    (char *)"prime256v1", 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pt, 65),
		OSSL_PARAM_END,
	};
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	return key;
}

int
push_p256_point(EVP_PKEY *key, uint8_t pt[65])
{
	size_t n = 0;
	if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt,
	    65, &n) != 1 || n != 65)
		return -1;
	return 0;
}

static int
hmac(const uint8_t *key, size_t kn, const uint8_t *d, size_t dn,
    uint8_t out[32])
{
	unsigned int n = 0;
	return HMAC(EVP_sha256(), key, (int)kn, d, dn, out, &n) != NULL &&
	    n == 32 ? 0 : -1;
}

/* ECDH between our key and theirs: 32 bytes. */
static int
ecdh(EVP_PKEY *ours, EVP_PKEY *theirs, uint8_t secret[32])
{
	size_t n = 32;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(ours, NULL);
	int ok = ctx != NULL && EVP_PKEY_derive_init(ctx) > 0 &&
	    EVP_PKEY_derive_set_peer(ctx, theirs) > 0 &&
	    EVP_PKEY_derive(ctx, secret, &n) > 0 && n == 32;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* RFC 8291 section 3.4: the content encryption key and nonce. */
static int
derive(const uint8_t secret[32], const uint8_t auth[16],
    const uint8_t ua_pub[65], const uint8_t as_pub[65],
    const uint8_t salt[16], uint8_t cek[16], uint8_t nonce[12])
{
	static const char info[] = "WebPush: info";
	static const char cek_info[] = "Content-Encoding: aes128gcm";
	static const char nonce_info[] = "Content-Encoding: nonce";
	uint8_t prk_key[32], ikm[32], prk[32], t[32];
	uint8_t key_info[sizeof(info) + 65 + 65 + 1];
	uint8_t x[sizeof(cek_info) + 1];
	int rc = -1;
	/* HKDF-Extract(auth, secret), Expand with key_info to 32 bytes */
	memcpy(key_info, info, sizeof(info));     /* the NUL is the 0x00 */
	memcpy(key_info + sizeof(info), ua_pub, 65);
	memcpy(key_info + sizeof(info) + 65, as_pub, 65);
	key_info[sizeof(key_info) - 1] = 0x01;
	if (hmac(auth, 16, secret, 32, prk_key) < 0 ||
	    hmac(prk_key, 32, key_info, sizeof(key_info), ikm) < 0 ||
	    hmac(salt, 16, ikm, 32, prk) < 0)
		goto out;
	memcpy(x, cek_info, sizeof(cek_info));
	x[sizeof(cek_info)] = 0x01;
	if (hmac(prk, 32, x, sizeof(x), t) < 0)
		goto out;
	memcpy(cek, t, 16);
	memcpy(x, nonce_info, sizeof(nonce_info));
	x[sizeof(nonce_info)] = 0x01;
	if (hmac(prk, 32, x, sizeof(nonce_info) + 1, t) < 0)
		goto out;
	memcpy(nonce, t, 12);
	rc = 0;
out:
	OPENSSL_cleanse(prk_key, sizeof(prk_key));
	OPENSSL_cleanse(ikm, sizeof(ikm));
	OPENSSL_cleanse(prk, sizeof(prk));
	OPENSSL_cleanse(t, sizeof(t));
	return rc;
}

/* One AES-128-GCM record of plain and the 0x02 delimiter into out. */
static int
seal(const uint8_t cek[16], const uint8_t nonce[12], const uint8_t *plain,
    size_t n, uint8_t *out)
{
	static const uint8_t delim = 0x02;
	int l1 = 0, l2 = 0, l3 = 0;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int ok = ctx != NULL &&
	    EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, cek, nonce) == 1 &&
	    EVP_EncryptUpdate(ctx, out, &l1, plain, (int)n) == 1 &&
	    EVP_EncryptUpdate(ctx, out + l1, &l2, &delim, 1) == 1 &&
	    EVP_EncryptFinal_ex(ctx, out + l1 + l2, &l3) == 1 &&
	    (size_t)(l1 + l2 + l3) == n + 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + n + 1) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int
push_ece_encrypt(const uint8_t ua_pub[65], const uint8_t auth[16],
    const uint8_t *plain, size_t n, EVP_PKEY *as_key,
    const uint8_t *salt, uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t secret[32], cek[16], nonce[12], s[16], as_pub[65];
	EVP_PKEY *mine = as_key, *theirs = push_p256_public(ua_pub);
	int rc = -1;
	if (theirs == NULL || n > PUSH_ECE_MAX_PLAIN ||
	    cap < PUSH_ECE_HEADER + n + 17)
		goto out;
	if (mine == NULL && (mine = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    "prime256v1")) == NULL)
		goto out;
	if (salt != NULL)
		memcpy(s, salt, 16);
	else if (RAND_bytes(s, 16) != 1)
		goto out;
	if (push_p256_point(mine, as_pub) < 0 || ecdh(mine, theirs, secret) < 0 ||
	    derive(secret, auth, ua_pub, as_pub, s, cek, nonce) < 0)
		goto out;
	memcpy(out, s, 16);
	out[16] = (uint8_t)(PUSH_ECE_RS >> 24);
	out[17] = (uint8_t)(PUSH_ECE_RS >> 16);
	out[18] = (uint8_t)(PUSH_ECE_RS >> 8);
	out[19] = (uint8_t)PUSH_ECE_RS;
	out[20] = 65;
	memcpy(out + 21, as_pub, 65);
	if (seal(cek, nonce, plain, n, out + PUSH_ECE_HEADER) < 0)
		goto out;
	*outlen = PUSH_ECE_HEADER + n + 17;
	rc = 0;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(cek, sizeof(cek));
	if (mine != as_key)
		EVP_PKEY_free(mine);
	EVP_PKEY_free(theirs);
	return rc;
}
