/*
 * sv_vars: variable references of RFC 5229: "${name}", "${ns.name}",
 * "${0}".."${9}"; anything else after "${" is literal text.
 */
#ifndef CLOISTER_SV_VARS_H
#define CLOISTER_SV_VARS_H

#include <stdbool.h>
#include <stddef.h>

/* If s starts with a reference: its total length, and the name inside
 * the braces (name, namelen); 0 when it does not. */
size_t sv_var_ref(const char *s, size_t n, const char **name,
    size_t *namelen);
/* A name set may assign: an identifier, no namespace. */
bool sv_var_name_ok(const char *s, size_t n);
/* True when name is all digits (a match variable). */
bool sv_var_is_match(const char *name, size_t n);

#endif
