/* keyd_keys: loading the private keys and signing with them (keyd.h). */
#include "keyd.h"
#include "ipc_types.h"
#include "log.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static BIO *
open_pem(const char *path, const char *what)
{
	BIO *b = BIO_new_file(path, "r");
	if (b == NULL)
		log_fatal("%s %s: cannot be opened", what, path);
	return b;
}

/* One signature of a made-up CertificateVerify: the key works, and every
 * algorithm it needs is loaded before the chroot. */
static void
self_test(const struct keyd_key *k)
{
	uint8_t in[64 + 34 + 32], sig[KEY_SIG_MAX];
	memset(in, 0x20, 64);
	memcpy(in + 64, "TLS 1.3, server CertificateVerify", 34);
	memset(in + 98, 0xab, 32);
	size_t n;
	const struct keyd_scheme *s = keyd_scheme_find(k->type == KEYD_KEY_EC ?
	    0x0403 : 0x0804);
	if (keyd_sign(k, s, in, sizeof(in), sig, &n) < 0)
		log_fatal("key %s: self-test signature failed", k->name);
	if (k->type == KEYD_KEY_RSA && keyd_sign(k, keyd_scheme_find(0x0401), in,
	    sizeof(in), sig, &n) < 0)
		log_fatal("key %s: self-test signature failed", k->name);
}

void
keyd_keys_load(const struct config *c, const struct config_service *s,
    struct keyd_keys *out)
{
	struct keyd_cert_entry e[KEYD_CERTS_MAX];
	char err[CONFIG_ERR_MAX];
	int n = keyd_certs_parse(c, s, e, err, sizeof(err));
	if (n < 0)
		log_fatal("%s", err);
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < n; i++) {
		struct keyd_key *k = &out->k[out->n++];
		memcpy(k->name, e[i].name, sizeof(k->name));
		BIO *kb = open_pem(e[i].key, "private key");
		k->pkey = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
		BIO_free(kb);
		BIO *cb = open_pem(e[i].chain, "certificate");
		X509 *leaf = PEM_read_bio_X509(cb, NULL, NULL, NULL);
		BIO_free(cb);
		if (k->pkey == NULL || leaf == NULL)
			log_fatal("%s or %s: not in PEM form", e[i].key, e[i].chain);
		if (X509_check_private_key(leaf, k->pkey) != 1)
			log_fatal("key %s does not belong to certificate %s",
			    e[i].key, e[i].chain);
		X509_free(leaf);
		if (EVP_PKEY_is_a(k->pkey, "EC"))
			k->type = KEYD_KEY_EC;
		else if (EVP_PKEY_is_a(k->pkey, "RSA"))
			k->type = KEYD_KEY_RSA;
		else
			log_fatal("key %s: only ECDSA and RSA keys", e[i].key);
		self_test(k);
		log_info("certificate %s: %s key loaded", k->name,
		    k->type == KEYD_KEY_EC ? "ECDSA" : "RSA");
	}
	ERR_clear_error();
}

const struct keyd_key *
keyd_keys_find(const struct keyd_keys *ks, const char *name, size_t len)
{
	for (size_t i = 0; i < ks->n; i++)
		if (strlen(ks->k[i].name) == len &&
		    strncasecmp(ks->k[i].name, name, len) == 0)
			return &ks->k[i];
	return NULL;
}

int
keyd_sign(const struct keyd_key *k, const struct keyd_scheme *s,
    const uint8_t *in, size_t len, uint8_t *sig, size_t *siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t n = KEY_SIG_MAX;
	int ok = ctx != NULL &&
	    EVP_DigestSignInit_ex(ctx, &pctx, s->digest, NULL, NULL, k->pkey,
	    NULL) == 1;
	if (ok && s->pad == KEYD_PAD_PSS)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
		    RSA_PSS_SALTLEN_DIGEST) == 1;
	else if (ok && s->pad == KEYD_PAD_PKCS1)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
	ok = ok && EVP_DigestSign(ctx, NULL, &n, in, len) == 1 &&
	    n <= KEY_SIG_MAX && EVP_DigestSign(ctx, sig, &n, in, len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		ERR_clear_error();
		return -1;
	}
	*siglen = n;
	return 0;
}
