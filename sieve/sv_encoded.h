/*
 * sv_encoded: the encoded-character extension (RFC 5228 section
 * 2.4.2.4): "${hex:41 42}" and "${unicode:263a}" in a string become the
 * bytes they name, once, when the script is compiled. A sequence that is
 * not of that form (or longer than 1 KiB) stays as written; a code point outside Unicode is an
 * error.
 */
#ifndef CLOISTER_SV_ENCODED_H
#define CLOISTER_SV_ENCODED_H

#include "sv_ast.h"

/* Decodes s in place (the result is never longer); 0, or -1 with a
 * reason in why. */
int sv_encoded_decode(struct sv_str *s, char *why, size_t whylen);

#endif
