/*
 * charset: conversion of message text to UTF-8 (glibc iconv).
 *
 * A confined worker cannot load iconv modules (they are files), and a
 * seccomp policy with on-violation kill would end it if iconv tried. So the
 * converters a worker will need are opened in main before confinement
 * (charset_preload), and charset_seal() forbids any later iconv_open: a
 * charset that was not preloaded is then converted as if it were Latin-1
 * (bytes that already form valid UTF-8 are kept as they are). US-ASCII,
 * UTF-8, Latin-1 and 31 single-byte charsets (ISO-8859-*, windows-125*,
 * KOI8, ...) are built-in tables (charset_tables.h, shared read-only
 * pages); only multi-byte charsets need an iconv module, ~14 KB of private
 * memory each.
 */
#ifndef CLOISTER_CHARSET_H
#define CLOISTER_CHARSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The multi-byte charsets real mail uses; NULL-terminated. */
extern const char *const charset_default_list[];

/* Open converters for names (NULL: charset_default_list). Returns how many
 * could be opened. Safe to call more than once. */
int charset_preload(const char *const *names);
/* No iconv_open from now on (call right before confining). */
void charset_seal(void);

/* Append n bytes of text in charset cs (cslen bytes, any case, may be
 * unknown or garbage) to out as valid UTF-8. Invalid sequences become
 * their Latin-1 reading. -1 only if out is full. */
int charset_to_utf8(struct buf *out, const char *cs, size_t cslen,
    const uint8_t *s, size_t n);
/* Keep valid UTF-8, read every other byte as Latin-1. */
int charset_utf8_sanitize(struct buf *out, const uint8_t *s, size_t n);
/* True if the charset is known (preloaded, or built in). */
bool charset_known(const char *cs, size_t cslen);

/* Length of the valid UTF-8 sequence at p (1..4), 0 if invalid. */
size_t charset_utf8_len(const uint8_t *p, size_t left);

#endif
