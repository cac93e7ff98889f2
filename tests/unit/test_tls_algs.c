/* Unit tests for workers/shared/tls_algs: after tls_algs_load, the default
 * library context offers the allow-listed ciphers, digests, MACs and KDFs
 * and no others, every other operation as before (key managers, the
 * DRBG, libssl's groups), and the default provider's own algorithms fetch
 * what they build on through the allow-list too (an HKDF over SHA3-256
 * fails, one over SHA-256 works): were they to fetch in the provider's
 * private context, every cipher and digest would be built there again. */
#include "check.h"
#include "tls_algs.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

static int
cipher_ok(const char *name)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
	EVP_CIPHER_free(c);
	return c != NULL;
}

static int
digest_ok(const char *name)
{
	EVP_MD *m = EVP_MD_fetch(NULL, name, NULL);
	EVP_MD_free(m);
	return m != NULL;
}

static int
mac_ok(const char *name)
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, name, NULL);
	EVP_MAC_free(m);
	return m != NULL;
}

static int
kdf_ok(const char *name)
{
	EVP_KDF *k = EVP_KDF_fetch(NULL, name, NULL);
	EVP_KDF_free(k);
	return k != NULL;
}

/* An HKDF (the default provider's) over the digest md. */
static int
hkdf_ok(const char *md)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *k = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	unsigned char key[16] = "k", out[32];
	OSSL_PARAM p[] = {
		OSSL_PARAM_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_KEY, key, sizeof(key)),
		OSSL_PARAM_END
	};
	int ok = k != NULL && EVP_KDF_derive(k, out, sizeof(out), p) == 1;
	EVP_KDF_CTX_free(k);
	EVP_KDF_free(kdf);
	return ok;
}

int
main(void)
{
	char err[128];
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	CHECK_EQ(tls_algs_load(err, sizeof(err)), 0);
	CHECK_EQ(tls_algs_load(err, sizeof(err)), 0);   /* once is enough */

	CHECK(cipher_ok("AES-128-GCM"));
	CHECK(cipher_ok("id-aes256-GCM"));              /* any of its names */
	CHECK(cipher_ok("ChaCha20-Poly1305"));
	CHECK(cipher_ok("AES-256-CTR"));
	CHECK(!cipher_ok("AES-128-CBC"));
	CHECK(!cipher_ok("AES-256-CBC"));
	CHECK(!cipher_ok("DES-EDE3-CBC"));
	CHECK(!cipher_ok("ChaCha20"));
	CHECK(digest_ok("SHA256"));
	CHECK(digest_ok("SHA2-384"));
	CHECK(digest_ok("SHA512"));
	CHECK(digest_ok("SHA1"));
	CHECK(!digest_ok("MD5"));
	CHECK(!digest_ok("SHA3-256"));
	CHECK(!digest_ok("SHA2-224"));

	CHECK(mac_ok("HMAC"));
	CHECK(!mac_ok("CMAC"));
	CHECK(kdf_ok("TLS1-PRF"));
	CHECK(kdf_ok("TLS13-KDF"));
	CHECK(!kdf_ok("PBKDF2"));

	/* nested fetches: the DRBG's AES-256-CTR, HKDF's digest */
	unsigned char r[16];
	CHECK_EQ(RAND_bytes(r, sizeof(r)), 1);
	CHECK(hkdf_ok("SHA256"));
	CHECK(!hkdf_ok("SHA3-256"));

	/* key management and the TLS-GROUP capability come through */
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	CHECK(pk != NULL);
	EVP_PKEY_free(pk);
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	CHECK(ctx != NULL);
	CHECK_EQ(SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384"), 1);
	CHECK_EQ(SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:"
	    "TLS_CHACHA20_POLY1305_SHA256"), 1);
	SSL_CTX_free(ctx);
	return check_done("test_tls_algs");
}
