/* push_b64: base64url without padding (RFC 4648 section 5), the form Web
 * Push keys, the aes128gcm key id and JWTs use; over shared/base64.c. */
#ifndef CLOISTER_PUSH_B64_H
#define CLOISTER_PUSH_B64_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Append the encoding of p (n bytes) to out; -1 when out is full. */
int push_b64url_encode(const void *p, size_t n, struct buf *out);
/* Decode s (n chars, padding optional) into dst: the bytes written, or
 * -1 when it is not base64url or does not fit in cap. */
long push_b64url_decode(const char *s, size_t n, uint8_t *dst, size_t cap);

#endif
