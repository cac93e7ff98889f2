/*
 * import_seen: the content hashes (sha256) a folder holds, for the
 * messages a source gives no UID (mbox, a Maildir without uidlist) and for
 * a folder imported with new UIDs: a second run skips what is there.
 */
#ifndef CLOISTER_IMPORT_SEEN_H
#define CLOISTER_IMPORT_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMPORT_HASH_LEN 32

struct import_seen {
	uint8_t (*slot)[IMPORT_HASH_LEN];   /* open addressing; all-zero = free */
	size_t n, cap;
};

/* Empty the set (keeps its memory). */
void import_seen_clear(struct import_seen *s);
void import_seen_free(struct import_seen *s);
bool import_seen_has(const struct import_seen *s, const uint8_t h[IMPORT_HASH_LEN]);
/* 0, or -1 when out of memory. */
int import_seen_add(struct import_seen *s, const uint8_t h[IMPORT_HASH_LEN]);
/* sha256 of len bytes. */
void import_hash(const void *data, size_t len, uint8_t h[IMPORT_HASH_LEN]);

#endif
