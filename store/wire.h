/*
 * wire: stored's decoders of compound request fields that only stored
 * reads (docs/store-protocol.md "Encodings"): the mailbox reference. What
 * both ends share (UID sets, message entries) is store_proto.h.
 */
#ifndef CLOISTER_STORE_WIRE_H
#define CLOISTER_STORE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* A mailbox reference: u64 id, str name (exactly one of them given). */
int wire_get_mbox_ref(struct buf_cur *c, uint64_t *id, const char **name,
    size_t *len);

#endif
