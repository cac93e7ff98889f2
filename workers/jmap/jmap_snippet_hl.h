/*
 * jmap_snippet_hl: the highlighter of SearchSnippet/get (RFC 8621
 * section 5): the search terms found in a subject or a body text wrapped
 * in <mark></mark>, everything else HTML-escaped. Terms match at the
 * start of a word, case-insensitively (ASCII, Latin-1, Latin Extended-A,
 * Greek and Cyrillic letters folded, in the spirit of i;unicode-casemap).
 * The text is untrusted bytes: invalid UTF-8 becomes U+FFFD, control
 * characters and runs of white space one space; the work per text is
 * bounded (a match past the bound is not marked).
 */
#ifndef CLOISTER_JMAP_SNIPPET_HL_H
#define CLOISTER_JMAP_SNIPPET_HL_H

#include <stdbool.h>
#include <stddef.h>

#define HL_MAX_TERMS 32
#define HL_TERM_MAX 256          /* bytes of one term */
#define HL_PREVIEW_CHARS 255     /* characters of a preview (RFC 8621) */
#define HL_TEXT_MAX (256 * 1024) /* bytes of text looked at */

struct hl_terms {
	char t[HL_MAX_TERMS][HL_TERM_MAX + 1];
	size_t n;
};

/* Add the words of a filter's value (white space separated, surrounding
 * double quotes dropped); false when there is no room for them all. */
bool hl_terms_add(struct hl_terms *ts, const char *value);

/* text (len bytes) highlighted, a NUL-terminated string to free, or NULL
 * when no term is in it (or out of memory). window != 0: only up to that
 * many characters, starting a little before the first match. */
char *hl_highlight(const char *text, size_t len, const struct hl_terms *ts,
    size_t window);

#endif
