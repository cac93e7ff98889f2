/*
 * idmap: a map from u64 ids to a small value, open addressing, for the
 * bookkeeping of one request (search: emails already listed, texts
 * already scanned). Reset between requests without freeing. Out of
 * memory, a put is dropped: callers treat a missing entry as "not known
 * yet", which costs work, never a wrong answer.
 */
#ifndef CLOISTER_STORE_IDMAP_H
#define CLOISTER_STORE_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idmap {
	uint64_t *key;           /* 0 = empty slot */
	uint8_t *val;
	size_t cap, n;
};

void idmap_reset(struct idmap *m);
void idmap_free(struct idmap *m);
/* true and *v if k is in the map. */
bool idmap_get(const struct idmap *m, uint64_t k, uint8_t *v);
/* false only when out of memory. */
bool idmap_put(struct idmap *m, uint64_t k, uint8_t v);

#endif
