/*
 * base64: RFC 4648 base64 for SASL exchanges (IMAP AUTHENTICATE, the MTA
 * auth protocol, HTTP Basic) and JMAP's encoded parts — strict
 * decoding (no whitespace, correct padding), encoding into a bounded buf.
 */
#ifndef CLOISTER_BASE64_H
#define CLOISTER_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

int base64_encode(const void *p, size_t n, struct buf *out);
/* Decode n chars into dst (dstsize bytes); -1 on invalid input or if it
 * does not fit. */
int base64_decode(const char *s, size_t n, uint8_t *dst, size_t dstsize,
    size_t *outlen);

#endif
