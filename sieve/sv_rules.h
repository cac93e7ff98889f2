/*
 * sv_rules: what a signature cannot say: comparator and relational
 * operator names, regular expressions within their budget, size's one
 * bound, variable names and references, date parts and zones, :index,
 * the mime options, include's script name, notify's method and
 * importance. One node at a time, after its signature was checked.
 */
#ifndef CLOISTER_SV_RULES_H
#define CLOISTER_SV_RULES_H

#include <stdint.h>

#include "sv_ast.h"

int sv_rules_check(const struct sv_node *n, uint64_t exts,
    struct sieve_error *err);

/* The names the interpreter accepts, shared with it. */
int sv_date_part(const char *name);      /* -1 if unknown */
int sv_relation(const char *name);       /* -1 if unknown */
int sv_comparator(const char *name);     /* -1 if unknown */

enum { SV_CMP_OCTET, SV_CMP_CASEMAP, SV_CMP_NUMERIC };
enum { SV_REL_GT, SV_REL_GE, SV_REL_LT, SV_REL_LE, SV_REL_EQ, SV_REL_NE };

#endif
