/*
 * mime: the one RFC 5322 / MIME parser of Cloister's workers (imapd for
 * APPEND and FETCH, lmtpd for delivery). The store never parses mail.
 *
 * mime_parse() reads a whole message from the caller's memory and builds
 * the tree of its parts as byte offsets into that memory: no copy, no
 * allocation per byte or per header (a message of up to MIME_INLINE_PARTS
 * parts allocates nothing). Everything else reads from that tree:
 *   - sections (BODY[1.2.HEADER] ...) as byte ranges: mime_section_range;
 *   - header fields: mime_hdr_iter, mime_hdr_filter (HEADER.FIELDS);
 *   - ENVELOPE / BODYSTRUCTURE: mime_imap.h;
 *   - indexed fields and search text: mime_index.h;
 *   - Content-Transfer-Decoding (BINARY): mime_part_decode.
 *
 * Bad input is parsed, not refused: bare LF or CRLF, NUL bytes, 8-bit
 * headers, missing boundaries, headers without an end. Depth and part
 * count are bounded (mime_limits); a multipart or message/rfc822 past a
 * limit stays an opaque leaf, flagged MIME_P_TRUNCATED. Time is linear in
 * the size, memory linear in the number of parts.
 */
#ifndef CLOISTER_MIME_H
#define CLOISTER_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mime_addr.h"   /* struct mime_str */
#include "mime_decode.h"

#define MIME_NONE UINT32_MAX
#define MIME_INLINE_PARTS 8
#define MIME_DEFAULT_MAX_DEPTH 64
#define MIME_DEFAULT_MAX_PARTS 10000
/* Longer boundaries are cut (as Dovecot does); the prefix still matches. */
#define MIME_BOUNDARY_MAX 80

enum mime_kind {
	MIME_LEAF,        /* a body not parsed further */
	MIME_MULTIPART,   /* children: the body parts (maybe none) */
	MIME_MESSAGE,     /* message/rfc822: one child, the enclosed message */
};

enum mime_part_flag {
	MIME_P_TEXT = 1u << 0,       /* text/..., or text/plain by default */
	MIME_P_IS_MIME = 1u << 1,    /* Content-* headers apply */
	MIME_P_TRUNCATED = 1u << 2,  /* multipart/message left opaque: limits */
	MIME_P_DIGEST = 1u << 3,     /* multipart/digest */
	MIME_P_NO_EOH = 1u << 4,     /* header not ended by an empty line */
};

struct mime_part {
	size_t hdr;      /* first byte of the header (MIME or message) */
	size_t body;     /* first byte of the body, after the empty line */
	size_t end;      /* just past the body */
	uint32_t parent, child, next;   /* MIME_NONE if none */
	uint16_t depth;  /* 0 for the message itself */
	uint8_t kind;    /* enum mime_kind */
	uint8_t flags;   /* enum mime_part_flag */
};

enum mime_msg_flag {
	MIME_M_LIMIT = 1u << 0,   /* a depth or part limit was reached */
	MIME_M_NUL_HDR = 1u << 1, /* a NUL byte in some header */
	MIME_M_8BIT_HDR = 1u << 2,/* an 8-bit byte in some header */
};

struct mime_limits {
	unsigned max_depth;   /* multipart/message nesting */
	unsigned max_parts;   /* parts in all */
};

struct mime_msg {
	const uint8_t *data;  /* the caller's bytes; must outlive the tree */
	size_t len;
	struct mime_part *parts;   /* parts[0] is the message; preorder */
	uint32_t nparts;
	uint32_t cap;
	unsigned flags;            /* enum mime_msg_flag */
	struct mime_part inline_parts[MIME_INLINE_PARTS];
};

/* Parse len bytes at data (lim NULL: defaults). -1 only when memory for
 * the part table cannot be had (errno ENOMEM); m is then empty but safe to
 * free. */
int mime_parse(struct mime_msg *m, const void *data, size_t len,
    const struct mime_limits *lim);
void mime_free(struct mime_msg *m);

static inline const struct mime_part *
mime_part(const struct mime_msg *m, uint32_t i)
{
	return i < m->nparts ? &m->parts[i] : NULL;
}

/* ---- header fields ---- */

struct mime_field {
	const uint8_t *name;    /* up to ':', trailing blanks removed */
	size_t name_len;        /* 0 for a line without ':' */
	const uint8_t *value;   /* after ':' and blanks, folding kept */
	size_t value_len;       /* without the final line end */
	const uint8_t *raw;     /* the whole field with its line end(s) */
	size_t raw_len;
};

struct mime_hdr_iter {
	const uint8_t *p;
	const uint8_t *end;
};

/* Iterate the fields of a header block (stops at an empty line). */
void mime_hdr_init(struct mime_hdr_iter *it, const uint8_t *hdr, size_t len);
void mime_hdr_init_part(struct mime_hdr_iter *it, const struct mime_msg *m,
    uint32_t part);
bool mime_hdr_next(struct mime_hdr_iter *it, struct mime_field *f);
bool mime_field_is(const struct mime_field *f, const char *name);
/* First field of that name in the part's header. */
bool mime_hdr_find(const struct mime_msg *m, uint32_t part,
    const char *name, struct mime_field *f);

/* Append the fields whose names are (not == false) or are not (not ==
 * true) in names[] (any case), as they appear, then an empty line (CRLF):
 * BODY[HEADER.FIELDS (...)] and .NOT. -1 if out is full. */
int mime_hdr_filter(struct buf *out, const uint8_t *hdr, size_t len,
    const struct mime_str *names, size_t nnames, bool not);

/* ---- Content-Type and parameters ---- */

struct mime_param {
	struct mime_str name;
	struct mime_str value;
};

#define MIME_MAX_PARAMS 64

/* A parsed Content-Type (or Content-Disposition: type only, no subtype).
 * Strings point into the params' scratch buffer or the header. */
struct mime_ctype {
	struct mime_str type;       /* p == NULL if no header */
	struct mime_str subtype;
	struct mime_param params[MIME_MAX_PARAMS];
	size_t nparams;
	bool broken;                /* no params read after a bad type */
	struct buf scratch;         /* owns the unquoted strings */
};

/* Parse a Content-Type value the way the IMAP BODYSTRUCTURE needs it:
 * RFC 2231 continuations merged (key*0, key*1* -> key*), values
 * unquoted. Free with mime_ctype_free. */
void mime_ctype_parse(struct mime_ctype *ct, const uint8_t *v, size_t n);
/* Content-Disposition: a token, then parameters. */
void mime_disposition_parse(struct mime_ctype *ct, const uint8_t *v,
    size_t n);
void mime_ctype_free(struct mime_ctype *ct);
/* The value of parameter name (any case), or NULL. */
const struct mime_str *mime_param_get(const struct mime_ctype *ct,
    const char *name);

/* The content type of a part as the parser saw it (defaults applied):
 * type and subtype NUL-terminated in the given arrays. */
void mime_part_type(const struct mime_msg *m, uint32_t part,
    char *type, size_t typesz, char *subtype, size_t subsz);
/* The part's transfer encoding (7bit when absent or not MIME). */
enum mime_cte mime_part_cte(const struct mime_msg *m, uint32_t part);

/* ---- sections ---- */

enum mime_section {
	MIME_SEC_BODY,     /* BODY[n] (BODY[] when the path is empty) */
	MIME_SEC_HEADER,   /* BODY[n.HEADER], BODY[HEADER] */
	MIME_SEC_TEXT,     /* BODY[n.TEXT], BODY[TEXT] */
	MIME_SEC_MIME,     /* BODY[n.MIME] */
};

/* The part an IMAP part number names (path {1,2} = "1.2"); n == 0 gives
 * the message. MIME_NONE if there is no such part. */
uint32_t mime_section_part(const struct mime_msg *m, const uint32_t *path,
    size_t n);
/* Byte range [*start, *end) of a section; -1 if it does not exist
 * (HEADER/TEXT of a part that is not message/rfc822, MIME of []). */
int mime_section_range(const struct mime_msg *m, const uint32_t *path,
    size_t n, enum mime_section what, size_t *start, size_t *end);

/* Lines (LF count) in a byte range: BODYSTRUCTURE's line counts. */
uint32_t mime_count_lines(const struct mime_msg *m, size_t start,
    size_t end);

/* Append the part's body with its transfer encoding undone (BINARY).
 * -1 if out is full or the encoding is unknown (*unknown_cte set). */
int mime_part_decode(const struct mime_msg *m, uint32_t part,
    struct buf *out, bool *unknown_cte);

#endif
