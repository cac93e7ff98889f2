/*
 * sv_program: the compiled form of a script (docs/sieve.md, "Program
 * format"): a 10-byte header ("CSVP", version, zero, body length) and the
 * checked tree in prefix order, every block behind its byte length.
 * sv_encode writes it; sv_decode reads it under the limits of sieve.h,
 * trusting none of it (sieve_load then checks the tree like a script).
 */
#ifndef CLOISTER_SV_PROGRAM_H
#define CLOISTER_SV_PROGRAM_H

#include "buf.h"
#include "sv_ast.h"

#define SV_PROGRAM_MAGIC "CSVP"
#define SV_PROGRAM_VERSION 1
#define SV_PROGRAM_HEADER 10

/* LEB128, as every length, count and number of a program. */
void sv_put_varint(struct buf *b, uint64_t v);
int sv_encode(const struct sv_script *s, struct buf *out);
int sv_decode(struct sv_script *s, const uint8_t *p, size_t len,
    struct sieve_error *err);

#endif
