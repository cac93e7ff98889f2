/*
 * tls_keyd: the worker's side of cloister-keyd (docs/keyd.md). An OpenSSL 3
 * provider, "cloister-keyd", whose EC and RSA keys hold only the public
 * half of a certificate and that certificate's name; its signature
 * implementation is handed the whole to-be-signed message (libssl signs the
 * TLS 1.3 CertificateVerify and the TLS 1.2 ServerKeyExchange with one
 * EVP_DigestSign call) and sends it to keyd as KEY_SIGN on
 * CLOISTER_FD_KEYD. No private key is ever in this process.
 */
#ifndef CLOISTER_TLS_KEYD_H
#define CLOISTER_TLS_KEYD_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>

/* Register and load the provider (and cloister-tls, tls_algs.h: loading
 * any provider by hand keeps the default one out), and make the default
 * provider's algorithms the preferred ones for every other fetch. 0, or -1
 * with err. */
int tls_keyd_init(char *err, size_t errlen);

/* A key of the provider for leaf's public key, named name (the
 * certificate's name in keyd's config). NULL on failure. */
EVP_PKEY *tls_keyd_key(X509 *leaf, const char *name);

#endif
