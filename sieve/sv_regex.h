/*
 * sv_regex: the regex match type (draft-ietf-sieve-regex) on POSIX
 * regcomp, bounded: a pattern of at most SV_REGEX_MAX_PATTERN bytes, no
 * back-references (so glibc matches without backtracking), no bound over
 * SV_REGEX_MAX_REPEAT in {m,n}, subjects cut at SV_REGEX_MAX_SUBJECT bytes.
 * The compiler refuses a constant pattern over these limits; the
 * interpreter refuses one built from variables the same way at run time.
 */
#ifndef CLOISTER_SV_REGEX_H
#define CLOISTER_SV_REGEX_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#define SV_REGEX_MAX_PATTERN 512
#define SV_REGEX_MAX_REPEAT 64
#define SV_REGEX_MAX_SUBJECT 8192

/* Checks the limits and compiles (REG_EXTENDED, REG_ICASE for
 * i;ascii-casemap); 0, or -1 with a reason in why. */
int sv_regex_compile(regex_t *re, const char *pat, size_t n, bool icase,
    int cflags, char *why, size_t whylen);

#endif
