/*
 * tls_algs: the algorithms a TLS worker's default library context fetches
 * from. OpenSSL 3.0 builds every algorithm a provider offers for an
 * operation the first time any one of them is fetched (~150 ciphers,
 * ~30 digests: ~190 KiB of heap and ~0.8 ms in every process, and each
 * TLS session is its own process). "cloister-tls" is the default
 * provider seen through an allow-list for ciphers, digests, MACs and KDFs:
 * what our contexts negotiate (tls.c) and what OpenSSL needs around them.
 * Every other operation (key management, signatures, key exchange, random
 * numbers, decoders) and the TLS-GROUP / TLS-SIGALG capabilities
 * pass through unchanged, and its algorithms keep the default provider's
 * properties ("provider=default").
 */
#ifndef CLOISTER_TLS_ALGS_H
#define CLOISTER_TLS_ALGS_H

#include <stddef.h>

/* Register and load the provider into the default library context, once;
 * it must come before anything there fetches (which would load the whole
 * default provider instead). 0, or -1 with err. */
int tls_algs_load(char *err, size_t errlen);

#endif
