/*
 * import_maildir_parse: the bytes of a Dovecot Maildir that are not mail —
 * dovecot-uidlist (v1 and v3), dovecot-keywords, the subscriptions file,
 * and the ":2," info of a file name. Pure functions over buffers (the
 * fuzz target tests/fuzz/fuzz_import_maildir.c calls them).
 */
#ifndef CLOISTER_IMPORT_MAILDIR_PARSE_H
#define CLOISTER_IMPORT_MAILDIR_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MD_KEYWORDS 26          /* letters a..z */
#define MD_KEYWORD_MAX 64

struct md_uidlist {
	uint32_t uidvalidity, nextuid;
	/* each record: its UID and the file's base name (before ':') */
	void (*record)(void *arg, uint32_t uid, const char *base, size_t n);
	void *arg;
};
/* 0, or -1 if the header is not one of a uidlist (the records after a
 * bad line are still read: a line that does not parse is skipped). */
int md_uidlist_parse(const char *p, size_t n, struct md_uidlist *u);

/* "N name" lines; names[i] ("" if absent) for letter 'a' + i. */
void md_keywords_parse(const char *p, size_t n,
    char names[MD_KEYWORDS][MD_KEYWORD_MAX + 1]);

/* Subscribed names (UTF-8 or modified UTF-7 as in the file, '/' as the
 * separator): Dovecot's "V\t2" format (levels split by tabs) or one
 * name per line. cb gets each. */
void md_subscriptions_parse(const char *p, size_t n,
    void (*cb)(void *arg, const char *name, size_t len), void *arg);

/* The flags of a file name's ":2," info: STORE_FLAG_* bits, and the
 * keyword letters as a bit mask (bit i = 'a' + i). */
void md_info_flags(const char *name, uint32_t *flags, uint32_t *kwmask);

/* A top-level folder's special use by its name (Sent, Drafts, ...): a
 * STORE_USE_* bit or 0. */
uint32_t md_special_use(const char *name);

#endif
