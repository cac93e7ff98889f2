/*
 * meta: the message metadata block a worker writes after the message in
 * its memfd (docs/store-protocol.md, "Message metadata block"): decoded
 * with the one codec, every length bounded. A fuzz target feeds it garbage.
 */
#ifndef CLOISTER_STORE_META_H
#define CLOISTER_STORE_META_H

#include <stddef.h>
#include <stdint.h>

#include "store_client.h"

#define META_MAX_LEN (64u * 1024 * 1024)     /* the format's bound */
/* What stored takes by default (option meta-max): the workers' default
 * limits (1 MiB of text, 1 MiB of headers, 64 KiB per field) fit with
 * room; the bytes are charged to the user's quota with the message. */
#define META_DEFAULT_LEN (4u * 1024 * 1024)

extern uint32_t meta_max_len;
#define META_MAX_MSG (256ull * 1024 * 1024)

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

/* 0, or -1 if p (n bytes) is not one well-formed block. */
int meta_decode(const uint8_t *p, size_t n, struct meta *m);

#endif
