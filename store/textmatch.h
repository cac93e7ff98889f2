/*
 * textmatch: ASCII case-insensitive substring search in linear time.
 *
 * SEARCH BODY/TEXT and header searches scan text a user chose against a
 * needle the user chose, inside the single-threaded stored: a naive scan
 * costs O(text x needle) for needles like "aaaa...b". This is
 * Knuth-Morris-Pratt over case-folded bytes (failure table built once per
 * request), with memchr skipping to the next candidate first byte while
 * nothing is matched: at most 2n byte comparisons plus n bytes of memchr
 * per case of the first byte, whatever the needle.
 */
#ifndef CLOISTER_STORE_TEXTMATCH_H
#define CLOISTER_STORE_TEXTMATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct textmatch {
	uint8_t *needle;        /* folded to lower case */
	uint32_t *fail;         /* KMP failure table */
	size_t n;
	uint64_t work;          /* bytes compared or skipped, for tests */
};

/* 0, or -1 (out of memory). A NULL needle is taken only with n = 0. */
int textmatch_init(struct textmatch *tm, const uint8_t *needle, size_t n);
void textmatch_free(struct textmatch *tm);
/* Does the needle occur in h (hn bytes, NULL only when hn is 0)? */
bool textmatch_find(struct textmatch *tm, const uint8_t *h, size_t hn);

#endif
