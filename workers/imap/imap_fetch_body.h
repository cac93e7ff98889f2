/*
 * imap_fetch_body: the body items of FETCH — BODY[section]<partial>,
 * BINARY[part]<partial>, BINARY.SIZE, RFC822, RFC822.HEADER, RFC822.TEXT —
 * from the read-only fd the store hands over. Byte ranges of the message
 * go out with sendfile (or kTLS / a mapped window under TLS), never through
 * a heap copy; only HEADER.FIELDS and BINARY (which change the bytes) are
 * built in memory. The message is parsed (workers/shared/mime.h) only when
 * a section needs its structure.
 */
#ifndef CLOISTER_IMAP_FETCH_BODY_H
#define CLOISTER_IMAP_FETCH_BODY_H

#include <stdbool.h>
#include <stdint.h>

#include "imap_args.h"
#include "imap_session.h"
#include "mime.h"

/* One message body, mapped on demand. */
struct imap_body {
	int fd;
	uint64_t size;
	const uint8_t *map;      /* NULL until needed */
	struct mime_msg mime;
	bool parsed;
};

/* Open: fd and size from store_body(). */
void imap_body_init(struct imap_body *b, int fd, uint64_t size);
void imap_body_close(struct imap_body *b);

enum imap_fetch_rc {
	FETCH_OK = 0,
	FETCH_GONE = -1,          /* client gone: end the session */
	FETCH_UNKNOWN_CTE = -2,   /* BINARY of an encoding we cannot undo */
	FETCH_NOMEM = -3,
};

/* Write one body item (" " separator included when !first). */
int imap_fetch_body_item(struct imap_session *s, struct imap_body *b,
    const struct imap_fatt *a, bool first);

/* Before any byte of the FETCH line: FETCH_UNKNOWN_CTE if a BINARY item
 * names a part whose encoding cannot be undone (the command then gets
 * NO [UNKNOWN-CTE] instead of a half-written response). */
int imap_fetch_body_check(struct imap_body *b, const struct imap_fatt *a);

/* Does this attribute need the body? Does it set \Seen? */
bool imap_fatt_needs_body(const struct imap_fatt *a);
bool imap_fatt_sets_seen(const struct imap_fatt *a);

#endif
