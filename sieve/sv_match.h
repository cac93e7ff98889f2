/*
 * sv_match: comparators (i;octet, i;ascii-casemap, i;ascii-numeric) and
 * match types (:is, :contains, :matches, :regex, :value) on one value and
 * one key, with the match variables of RFC 5229 section 3.2.
 */
#ifndef CLOISTER_SV_MATCH_H
#define CLOISTER_SV_MATCH_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#define SV_MATCH_VARS 10

/* ${0}..${9}: spans of the value (or the key for ${0} of :matches). */
struct sv_caps {
	const char *s[SV_MATCH_VARS];
	size_t n[SV_MATCH_VARS];
	unsigned count;
};

/* -1, 0, 1 under the comparator (SV_CMP_*). */
int sv_compare(int cmp, const char *a, size_t an, const char *b, size_t bn);
/* The relational operator (SV_REL_*) applied to a comparison. */
bool sv_relation_holds(int rel, int order);
bool sv_contains(int cmp, const char *v, size_t vn, const char *k,
    size_t kn);
/* Glob with * and ? (backslash escapes), shortest-first, caps filled. */
bool sv_glob(int cmp, const char *v, size_t vn, const char *pat, size_t pn,
    struct sv_caps *caps);
/* regexec on at most SV_REGEX_MAX_SUBJECT bytes of v, caps filled. */
bool sv_regex_match(const regex_t *re, const char *v, size_t vn,
    struct sv_caps *caps);

#endif
