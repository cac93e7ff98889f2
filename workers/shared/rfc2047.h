/*
 * rfc2047: decoding of MIME encoded-words (=?charset?Q|B?text?=) in header
 * values to UTF-8, for the indexed fields and search. Whitespace between
 * two adjacent encoded-words is dropped (RFC 2047 section 6.2); text that
 * is not an encoded word passes through (8-bit bytes read as UTF-8 when
 * valid, else Latin-1). Folding is removed. Lenient like the MUAs that
 * wrote the mail: encoded words inside words and quoted strings decode too.
 */
#ifndef CLOISTER_RFC2047_H
#define CLOISTER_RFC2047_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Append the decoded, unfolded value to out; -1 only if out is full. */
int rfc2047_decode(struct buf *out, const uint8_t *s, size_t n);

#endif
