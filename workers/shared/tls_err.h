/* tls_err: OpenSSL error codes as readable reasons (tls_err.c). */
#ifndef CLOISTER_TLS_ERR_H
#define CLOISTER_TLS_ERR_H

#include <stddef.h>

/* The reason of error e (ERR_get_error) in words, into buf (n bytes):
 * OpenSSL's string if loaded, else ours for the common ones, else the
 * code in hex. Returns buf. */
const char *tls_err_text(unsigned long e, char *buf, size_t n);

#endif
