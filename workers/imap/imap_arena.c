/* imap_arena: bump allocator with a hard maximum (see imap_arena.h). */
#include "imap_arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN 4096

struct imap_arena_chunk {
	struct imap_arena_chunk *next;
	size_t size, off;
	_Alignas(16) unsigned char mem[];
};

void
imap_arena_init(struct imap_arena *a, size_t max)
{
	a->head = NULL;
	a->used = 0;
	a->max = max;
}

void *
imap_arena_alloc(struct imap_arena *a, size_t n)
{
	size_t need = (n + 15) & ~(size_t)15;
	if (need < n || need > a->max || a->used > a->max - need)
		return NULL;
	struct imap_arena_chunk *c = a->head;
	if (c == NULL || c->size - c->off < need) {
		size_t sz = need > CHUNK_MIN ? need : CHUNK_MIN;
		/* grow chunk sizes with use so many small allocations do not
		 * make many chunks */
		if (c != NULL && c->size * 2 > sz && c->size * 2 <= 256 * 1024)
			sz = c->size * 2;
		c = malloc(sizeof(*c) + sz);
		if (c == NULL)
			return NULL;
		c->next = a->head;
		c->size = sz;
		c->off = 0;
		a->head = c;
	}
	void *p = c->mem + c->off;
	c->off += need;
	a->used += need;
	memset(p, 0, n);
	return p;
}

char *
imap_arena_strndup(struct imap_arena *a, const void *p, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *s = imap_arena_alloc(a, n + 1);
	if (s == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

void
imap_arena_reset(struct imap_arena *a)
{
	while (a->head != NULL) {
		struct imap_arena_chunk *c = a->head;
		a->head = c->next;
		free(c);
	}
	a->used = 0;
}
