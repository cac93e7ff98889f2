/*
 * imap_mutf7: mailbox names between the store's UTF-8 and IMAP4rev1's
 * modified UTF-7 (RFC 3501 5.1.3). With UTF8=ACCEPT or IMAP4rev2 enabled
 * names cross as UTF-8 and these are not used.
 */
#ifndef CLOISTER_IMAP_MUTF7_H
#define CLOISTER_IMAP_MUTF7_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* UTF-8 -> modified UTF-7, appended to out; -1 on invalid UTF-8. */
int imap_mutf7_encode(const char *s, size_t n, struct buf *out);
/* Modified UTF-7 -> UTF-8, appended to out; -1 on anything that is not
 * valid modified UTF-7 (8-bit bytes, bad base64, a lone surrogate, a
 * shifted run of plain ASCII). */
int imap_mutf7_decode(const char *s, size_t n, struct buf *out);
/* Well-formed UTF-8 without overlongs, surrogates or NUL. */
bool imap_utf8_valid(const char *s, size_t n);

#endif
