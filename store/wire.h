/*
 * wire: decoders and encoders of the store protocol's compound fields
 * (docs/store-protocol.md "Encodings"): UID sets, mailbox references,
 * status and quota blocks. Built on the one codec (common/ipc.h).
 */
#ifndef CLOISTER_STORE_WIRE_H
#define CLOISTER_STORE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define WIRE_MAX_RANGES 8192

struct uidrange {
	uint32_t lo, hi;
};

/* A normalized set: sorted, merged, every lo >= 1. */
struct uidset {
	struct uidrange *r;
	size_t n, cap;
};

void uidset_clear(struct uidset *s);
void uidset_free(struct uidset *s);
int uidset_add(struct uidset *s, uint32_t lo, uint32_t hi);
bool uidset_has(const struct uidset *s, uint32_t uid);

/* A UID set field (bytes of lo,hi pairs, any order) into s (normalized). */
int wire_get_uidset(struct buf_cur *c, struct uidset *s);
int wire_put_uidset(struct buf *b, const struct uidset *s);

/* A mailbox reference: u64 id, str name (exactly one of them given). */
int wire_get_mbox_ref(struct buf_cur *c, uint64_t *id, const char **name,
    size_t *len);

#endif
