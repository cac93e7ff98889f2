/* import_seen: a set of sha256 hashes (see import_seen.h). */
#include "import_seen.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t zero[IMPORT_HASH_LEN];

static size_t
start_of(const uint8_t h[IMPORT_HASH_LEN], size_t cap)
{
	uint64_t v;
	memcpy(&v, h, sizeof(v));    /* sha256: its bytes are already mixed */
	return (size_t)(v & (cap - 1));
}

void
import_seen_clear(struct import_seen *s)
{
	if (s->slot != NULL)
		memset(s->slot, 0, s->cap * IMPORT_HASH_LEN);
	s->n = 0;
}

void
import_seen_free(struct import_seen *s)
{
	free(s->slot);
	*s = (struct import_seen){ 0 };
}

bool
import_seen_has(const struct import_seen *s, const uint8_t h[IMPORT_HASH_LEN])
{
	if (s->cap == 0)
		return false;
	for (size_t i = start_of(h, s->cap), k = 0; k < s->cap;
	    i = (i + 1) & (s->cap - 1), k++) {
		if (memcmp(s->slot[i], h, IMPORT_HASH_LEN) == 0)
			return true;
		if (memcmp(s->slot[i], zero, IMPORT_HASH_LEN) == 0)
			return false;
	}
	return false;
}

static void
put(uint8_t (*slot)[IMPORT_HASH_LEN], size_t cap, const uint8_t *h)
{
	size_t i = start_of(h, cap);
	while (memcmp(slot[i], zero, IMPORT_HASH_LEN) != 0 &&
	    memcmp(slot[i], h, IMPORT_HASH_LEN) != 0)
		i = (i + 1) & (cap - 1);
	memcpy(slot[i], h, IMPORT_HASH_LEN);
}

int
import_seen_add(struct import_seen *s, const uint8_t h[IMPORT_HASH_LEN])
{
	/* the all-zero hash marks a free slot: no sha256 is ever it */
	if (memcmp(h, zero, IMPORT_HASH_LEN) == 0 || import_seen_has(s, h))
		return 0;
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint8_t (*slot)[IMPORT_HASH_LEN] = calloc(cap, IMPORT_HASH_LEN);
		if (slot == NULL)
			return -1;
		for (size_t i = 0; i < s->cap; i++)
			if (memcmp(s->slot[i], zero, IMPORT_HASH_LEN) != 0)
				put(slot, cap, s->slot[i]);
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	put(s->slot, s->cap, h);
	s->n++;
	return 0;
}

void
import_hash(const void *data, size_t len, uint8_t h[IMPORT_HASH_LEN])
{
	unsigned n = 0;
	if (EVP_Digest(data, len, h, &n, EVP_sha256(), NULL) != 1 ||
	    n != IMPORT_HASH_LEN)
		memset(h, 0, IMPORT_HASH_LEN);
}
