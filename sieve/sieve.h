/*
 * sieve: users' Sieve scripts (RFC 5228 and extensions, docs/sieve.md).
 *
 * A script is compiled (parsed, checked, encoded as a compact versioned
 * program) by the process that receives it; the program is stored as data
 * and loaded later by the process that runs it. The loader trusts nothing:
 * it decodes the program under limits and checks it with the same rules as
 * the compiler, so a program it did not produce is refused, not run.
 */
#ifndef CLOISTER_SIEVE_H
#define CLOISTER_SIEVE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Limits of the compiler and the loader (docs/sieve.md, "Budgets"). */
#define SIEVE_MAX_SCRIPT (1u << 20)     /* bytes of script source */
#define SIEVE_MAX_PROGRAM (1u << 20)    /* bytes of a program */
#define SIEVE_MAX_MEMORY (8u << 20)     /* arena of one script */
#define SIEVE_MAX_DEPTH 32              /* nested blocks and tests */
#define SIEVE_MAX_NODES 20000           /* commands and tests */
#define SIEVE_MAX_LIST 1024             /* strings in one list */
#define SIEVE_MAX_ARGS 32               /* arguments of one command */
#define SIEVE_MAX_STRING (1u << 16)     /* bytes of one string */

/* Where and why a script or program was refused. line and col count from
 * 1; a program error has line 0 and the byte offset in col. */
struct sieve_error {
	uint32_t line, col;
	char msg[200];
};

/* "line L, column C: message" (what ManageSieve's CHECKSCRIPT reports),
 * or "program offset N: message". */
void sieve_error_format(const struct sieve_error *e, char *out, size_t n);

/* Compiles len bytes of script into *program (appended). 0, or -1 with
 * *err set. */
int sieve_compile(const char *src, size_t len, struct buf *program,
    struct sieve_error *err);

struct sieve_program;

/* Decodes and checks a program; NULL with *err set when it is malformed,
 * over a limit, or breaks a rule the compiler enforces. */
struct sieve_program *sieve_load(const uint8_t *p, size_t len,
    struct sieve_error *err);
void sieve_program_free(struct sieve_program *prog);

#endif
