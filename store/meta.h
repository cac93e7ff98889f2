/*
 * meta: the message metadata block a worker writes after the message in
 * its memfd (docs/store-protocol.md, "Message metadata block"), both ways:
 * the client library encodes struct store_msg_meta, stored decodes into
 * struct meta (every length bounded by the limits in store_proto.h). A
 * fuzz target feeds the decoder garbage.
 */
#ifndef CLOISTER_STORE_META_H
#define CLOISTER_STORE_META_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store_proto.h"

/* The byte strings after sentdate, in block order. */
enum meta_text {
	MT_ENVELOPE, MT_BODYSTRUCTURE, MT_BODY, MT_FROM, MT_TO, MT_CC, MT_BCC,
	MT_SUBJECT, MT_MESSAGE_ID, MT_IN_REPLY_TO, MT_REFERENCES,
	MT_SORT_SUBJECT, MT_SORT_FROM, MT_SORT_TO, MT_SORT_CC,
	MT_DISPLAY_FROM, MT_DISPLAY_TO, MT_PREVIEW, MT_COUNT
};

struct meta_bytes {
	const uint8_t *p;
	size_t n;
};

/* A decoded block: pointers into the bytes it was decoded from. */
struct meta {
	uint64_t internaldate;
	int32_t tzoff;
	uint32_t flags;
	struct meta_bytes kw[STORE_MAX_KEYWORDS];
	uint32_t nkw;
	uint64_t sentdate;
	struct meta_bytes t[MT_COUNT];
	uint32_t info;
	struct meta_bytes headers, text;
};

/* The block of m into b (b's bound should be STORE_META_MAX); -1 (and b
 * failed) if it does not fit. */
int meta_encode(struct buf *b, const struct store_msg_meta *m);
/* 0, or -1 if p (n bytes) is not one well-formed block. */
int meta_decode(const uint8_t *p, size_t n, struct meta *m);

#endif
