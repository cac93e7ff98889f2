/*
 * imap_out: formatting of response items into an output buffer — the
 * quoted-or-literal decision for strings, NIL, atoms, mailbox names.
 * Pure formatting (no I/O): the caller flushes.
 */
#ifndef CLOISTER_IMAP_OUT_H
#define CLOISTER_IMAP_OUT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Quoted strings longer than this go out as literals (clients handle
 * both; long quoted strings only cost escaping). */
#define IMAP_OUT_QUOTED_MAX 1024

int imap_out_raw(struct buf *b, const void *p, size_t n);
int imap_out_str(struct buf *b, const char *s);
/* string: quoted when short and made of TEXT-CHARs (8-bit only if utf8
 * and valid UTF-8), else a literal. */
int imap_out_string(struct buf *b, const char *p, size_t n, bool utf8);
/* nstring: NIL for p == NULL */
int imap_out_nstring(struct buf *b, const char *p, size_t n, bool utf8);
/* astring: a bare atom when possible (not "NIL"), else a string */
int imap_out_astring(struct buf *b, const char *p, size_t n, bool utf8);
/* A mailbox name from the store (UTF-8): modified UTF-7 unless utf8;
 * always quoted (clients parse that most reliably). -1 if the name is not
 * valid UTF-8. */
int imap_out_mailbox(struct buf *b, const char *name, bool utf8);

#endif
