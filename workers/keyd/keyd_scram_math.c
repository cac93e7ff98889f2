/* keyd_scram_math: SCRAM-SHA-256's client computations (see
 * keyd_scram_math.h). */
#include "keyd_scram_math.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

int
keyd_scram_salted(const char *pw, size_t pwlen, const uint8_t *salt,
    size_t saltlen, uint32_t iter, uint8_t out[KEYD_SCRAM_LEN])
{
	if (pwlen > 1024 || saltlen > 1024 || iter == 0 || iter > 10000000)
		return -1;
	return PKCS5_PBKDF2_HMAC(pw, (int)pwlen, salt, (int)saltlen, (int)iter,
	    EVP_sha256(), KEYD_SCRAM_LEN, out) == 1 ? 0 : -1;
}

static int
hmac(const uint8_t *key, size_t klen, const void *msg, size_t n,
    uint8_t out[KEYD_SCRAM_LEN])
{
	unsigned len = KEYD_SCRAM_LEN;
	return HMAC(EVP_sha256(), key, (int)klen, msg, n, out, &len) != NULL &&
	    len == KEYD_SCRAM_LEN ? 0 : -1;
}

int
keyd_scram_proof(const uint8_t salted[KEYD_SCRAM_LEN], const char *am,
    size_t amlen, uint8_t proof[KEYD_SCRAM_LEN],
    uint8_t server_sig[KEYD_SCRAM_LEN])
{
	/* ClientKey, StoredKey, ClientSignature, ServerKey: wiped after */
	uint8_t k[4][KEYD_SCRAM_LEN];
	int rc = -1;
	if (hmac(salted, KEYD_SCRAM_LEN, "Client Key", 10, k[0]) == 0 &&
	    SHA256(k[0], KEYD_SCRAM_LEN, k[1]) != NULL &&
	    hmac(k[1], KEYD_SCRAM_LEN, am, amlen, k[2]) == 0 &&
	    hmac(salted, KEYD_SCRAM_LEN, "Server Key", 10, k[3]) == 0 &&
	    hmac(k[3], KEYD_SCRAM_LEN, am, amlen, server_sig) == 0) {
		for (size_t i = 0; i < KEYD_SCRAM_LEN; i++)
			proof[i] = k[0][i] ^ k[2][i];
		rc = 0;
	}
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}
