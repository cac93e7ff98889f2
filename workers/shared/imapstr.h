/*
 * imapstr: writing IMAP strings (RFC 3501 / 9051 nstring) into a buf.
 *
 * A value goes out as "quoted" when it can (7-bit, no CR/LF/NUL, few
 * quoted-specials), else as a {n} literal; NIL for a missing value. The
 * choices follow what Dovecot sends so that clients see the same bytes from
 * either server. All functions return 0, or -1 when the buf is full.
 */
#ifndef CLOISTER_IMAPSTR_H
#define CLOISTER_IMAPSTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum imapstr_flags {
	IMAPSTR_UTF8 = 1u << 0,   /* UTF8=ACCEPT: valid UTF-8 may be quoted */
};

/* s == NULL -> NIL. NUL bytes are written as 0x80 (a literal may not hold
 * NUL; an 8-bit byte forces the literal form). */
int imapstr_nstring(struct buf *out, const void *s, size_t n, unsigned flags);
/* As above, first unfolding: CR/LF before whitespace or at the end are
 * dropped, any other CR/LF becomes a space (header values). */
int imapstr_nstring_nolf(struct buf *out, const void *s, size_t n,
    unsigned flags);
/* For display text (subjects, names): runs of whitespace and CR/LF become
 * one space, leading/trailing whitespace goes; anything else unusual makes
 * it a literal. */
int imapstr_human(struct buf *out, const void *s, size_t n, unsigned flags);
/* An astring: an atom when every byte is an ATOM-CHAR (and not "NIL"),
 * else as imapstr_nstring. */
int imapstr_astring(struct buf *out, const void *s, size_t n, unsigned flags);

#endif
