/*
 * sv_check: the rules a script must keep, applied to the tree of a script
 * just parsed and, the same way, to the tree of a program just decoded:
 * require (an extension used must be required, an unknown one is an
 * error), each command's and test's signature (tags, their arguments,
 * positional argument types, block), the order of if/elsif/else, and the
 * per-command rules of sv_rules.c.
 */
#ifndef CLOISTER_SV_CHECK_H
#define CLOISTER_SV_CHECK_H

#include <stdbool.h>

#include "sv_ast.h"

/* from_source: names are resolved to ids (a program has ids already and
 * its names are set from them). */
int sv_check(struct sv_script *s, bool from_source, struct sieve_error *err);

/* The argument that follows tag on node n (its value), NULL without the
 * tag; sv_has_tag tells whether it is there at all. */
const struct sv_arg *sv_tag_value(const struct sv_node *n, unsigned tag);
bool sv_has_tag(const struct sv_node *n, unsigned tag);
/* The i-th positional argument (0-based, after the tags), NULL if none. */
const struct sv_arg *sv_positional(const struct sv_node *n, unsigned i);
uint32_t sv_npositional(const struct sv_node *n);

#endif
