/*
 * imap_meta: everything the store indexes about a new message, computed in
 * the worker from its bytes (DESIGN.md invariant 4: the store parses no
 * mail) — ENVELOPE, BODY, BODYSTRUCTURE, decoded address and subject
 * fields, sort keys, the Date, header text for HEADER searches and body
 * text for full-text search — with workers/shared/mime.h.
 */
#ifndef CLOISTER_IMAP_META_H
#define CLOISTER_IMAP_META_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store_client.h"

/* Text for full-text search is cut here (the store accepts 32 MiB). */
#define IMAP_META_TEXT_MAX (4 * 1024 * 1024)
#define IMAP_META_HEADERS_MAX (1024 * 1024)

struct imap_meta {
	struct store_msg_meta m;
	struct buf strings;      /* NUL-terminated values, back to back */
	struct buf headers;
	struct buf text;
};

/* Fill im from the message (data, len): all of m but internaldate, tzoff,
 * flags and keywords, which the caller sets. -1 on allocation failure. */
int imap_meta_build(struct imap_meta *im, const uint8_t *data, size_t len);
void imap_meta_free(struct imap_meta *im);

#endif
