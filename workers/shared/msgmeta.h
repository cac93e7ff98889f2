/*
 * msgmeta: the typed metadata a worker sends stored with every new message
 * (struct store_msg_meta: ENVELOPE, BODYSTRUCTURE, BODY, decoded address
 * and subject fields, sort keys, thread ids, preview, header lines, search
 * text), built from one parse of the message. lmtpd (delivery) and imapd
 * (APPEND) both call it, so a message looks the same whichever way it came.
 * The store parses none of it (docs/design.md rule 4).
 */
#ifndef CLOISTER_MSGMETA_H
#define CLOISTER_MSGMETA_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mime.h"
#include "mime_index.h"
#include "store_proto.h"

struct msgmeta_limits {
	size_t text_max;      /* search text (store limit 32 MiB) */
	size_t field_max;     /* each string (store limit 1 MiB) */
	size_t headers_max;   /* header lines (store limit 8 MiB) */
};
#define MSGMETA_DEFAULT_TEXT (1u << 20)
#define MSGMETA_DEFAULT_FIELD (64u << 10)
#define MSGMETA_DEFAULT_HEADERS (1u << 20)
#define MSGMETA_PREVIEW_CHARS 256

struct msgmeta {
	struct store_msg_meta meta;   /* points into the buffers below */
	struct buf envelope, bodystructure, body;
	struct buf strings;           /* NUL-terminated index fields */
	struct buf headers, text, preview;
	struct mime_index ix;
};

/* Fill mm from a parsed message (lim NULL: defaults). internaldate, tzoff,
 * flags and keywords are left 0 for the caller. -1 on allocation failure
 * (mm is then freed). */
int msgmeta_build(struct msgmeta *mm, const struct mime_msg *m,
    const struct msgmeta_limits *lim);
void msgmeta_free(struct msgmeta *mm);

/* Header fields of a part unfolded, one per line, "lower-name: value\n"
 * (values decoded from RFC 2047 to UTF-8), at most cap bytes. */
int msgmeta_header_lines(const struct mime_msg *m, uint32_t part,
    struct buf *out, size_t cap);
/* Does the message carry an attachment (a part meant as a file)? */
bool msgmeta_has_attachment(const struct mime_msg *m);

#endif
