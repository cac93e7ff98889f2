/*
 * imap_binary: a message APPENDed as a BINARY literal8 (RFC 3516) may hold
 * NUL bytes, which no IMAP literal but literal8 can carry (RFC 3501 CHAR8,
 * RFC 9051 section 4.3). Before it is stored, every leaf part whose body
 * holds a NUL is re-encoded as base64 (its Content-Transfer-Encoding field
 * replaced), as Dovecot and Cyrus do: BODY[] then never sends a NUL, and
 * BINARY[] still returns the original bytes. A NUL anywhere else (a header)
 * becomes 0x80.
 */
#ifndef CLOISTER_IMAP_BINARY_H
#define CLOISTER_IMAP_BINARY_H

#include "buf.h"
#include "mime.h"

/* 0 if m holds no NUL (nothing to do), 1 if out now holds the re-encoded
 * message, which has none, -1 if out is full. */
int imap_binary_to_base64(const struct mime_msg *m, struct buf *out);

#endif
