/*
 * imap_arena: the per-command allocator of the parser. Everything a parsed
 * command points to (strings, lists, search trees) lives here and goes in
 * one imap_arena_reset() when the command is done. Hard maximum: a command
 * cannot make the parser allocate more than its limit, whatever it says.
 */
#ifndef CLOISTER_IMAP_ARENA_H
#define CLOISTER_IMAP_ARENA_H

#include <stddef.h>

struct imap_arena_chunk;

struct imap_arena {
	struct imap_arena_chunk *head;
	size_t used;     /* bytes handed out since the last reset */
	size_t max;
};

void imap_arena_init(struct imap_arena *a, size_t max);
/* Zeroed, 16-byte aligned memory; NULL past the maximum. */
void *imap_arena_alloc(struct imap_arena *a, size_t n);
/* Copy n bytes and add a NUL. */
char *imap_arena_strndup(struct imap_arena *a, const void *p, size_t n);
/* Free everything (chunks too: an idle session keeps nothing). */
void imap_arena_reset(struct imap_arena *a);

#endif
