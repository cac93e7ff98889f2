/*
 * mime_index: what the store indexes about a message, computed in the
 * worker (the store parses no mail): the header fields for SEARCH, SORT
 * and THREAD decoded to UTF-8, the Date as a timestamp, the RFC 5256 base
 * subject, and the text of the message for full-text search.
 */
#ifndef CLOISTER_MIME_INDEX_H
#define CLOISTER_MIME_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mime.h"

enum mime_ifield {
	MIME_F_FROM,          /* address headers as written, RFC 2047 decoded,
	                         every occurrence joined by ", " */
	MIME_F_TO,
	MIME_F_CC,
	MIME_F_BCC,
	MIME_F_SUBJECT,       /* decoded (RFC 2047), unfolded */
	MIME_F_BASE_SUBJECT,  /* RFC 5256 section 2.1 */
	MIME_F_MESSAGE_ID,    /* "<id@host>", the first msg-id */
	MIME_F_IN_REPLY_TO,   /* the first msg-id */
	MIME_F_REFERENCES,    /* msg-ids separated by one space */
	MIME_F_SORT_FROM,     /* RFC 5256 SORT: addr-mailbox of the first */
	MIME_F_SORT_TO,
	MIME_F_SORT_CC,
	MIME_F_DISPLAY_FROM,  /* RFC 5957 DISPLAY: name, else addr-spec */
	MIME_F_DISPLAY_TO,
	MIME_F_COUNT
};

#define MIME_DATE_NONE INT64_MIN

struct mime_index {
	struct buf strings;   /* every value, back to back */
	struct {
		uint32_t off, len;
		bool present;     /* the header exists (value may be empty) */
	} f[MIME_F_COUNT];
	int64_t date;         /* Date: as UTC seconds, or MIME_DATE_NONE */
	int32_t date_tz;      /* its zone, minutes east of UTC */
	size_t hdr_len;       /* the raw header block is data[0, hdr_len) */
};

/* Fill ix from the message's header. max_bytes bounds the strings (each
 * value is cut at a character boundary to fit). -1 on allocation failure. */
int mime_index_build(struct mime_index *ix, const struct mime_msg *m,
    size_t max_bytes);
void mime_index_free(struct mime_index *ix);
/* A field's value (p == NULL when the header is absent). */
struct mime_str mime_index_get(const struct mime_index *ix,
    enum mime_ifield f);

/* RFC 5322 date-time (and its obsolete forms) to UTC seconds and a zone in
 * minutes. -1 if it is not a date. */
int mime_date_parse(const uint8_t *s, size_t n, int64_t *t, int32_t *tz);

/* RFC 5256 base subject of a UTF-8 (already decoded) subject. */
int mime_base_subject(struct buf *out, const uint8_t *s, size_t n);

/* Decoded header text of a part: "Name: value\n" per field, encoded words
 * decoded, 8-bit bytes made UTF-8 (SEARCH TEXT / HEADER use it). */
int mime_header_text(const struct mime_msg *m, uint32_t part,
    struct buf *out, size_t cap);

/* The text of every text part (and every enclosed message's header),
 * transfer-decoded, converted to UTF-8, HTML reduced to text, parts
 * separated by a newline; at most cap bytes (cut at a character
 * boundary). Returns 0, or -1 on allocation failure. */
int mime_text_extract(const struct mime_msg *m, struct buf *out, size_t cap);

#endif
