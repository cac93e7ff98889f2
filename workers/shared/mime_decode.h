/*
 * mime_decode: Content-Transfer-Encoding decoders (RFC 2045) and the Q and
 * B encodings of RFC 2047. Lenient in what they accept: bytes outside the
 * base64 alphabet are skipped, a broken "=XX" in quoted-printable is kept
 * as it stands, so that a damaged attachment still decodes as far as it
 * can. Output goes to a bounded buf; -1 only if it is full.
 */
#ifndef CLOISTER_MIME_DECODE_H
#define CLOISTER_MIME_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum mime_cte {
	MIME_CTE_7BIT,      /* also when absent */
	MIME_CTE_8BIT,
	MIME_CTE_BINARY,
	MIME_CTE_QP,
	MIME_CTE_BASE64,
	MIME_CTE_UNKNOWN,   /* x-uuencode, garbage: IMAP BINARY says UNKNOWN-CTE */
};

/* The encoding named by a Content-Transfer-Encoding value (raw). */
enum mime_cte mime_cte_parse(const uint8_t *v, size_t n);

int mime_base64_decode(struct buf *out, const uint8_t *s, size_t n);
/* RFC 2045 quoted-printable: soft line breaks joined, whitespace before a
 * line end dropped, line ends kept as they came. */
int mime_qp_decode(struct buf *out, const uint8_t *s, size_t n);
/* RFC 2047 "Q": "_" is a space, no line structure. */
int mime_q_decode(struct buf *out, const uint8_t *s, size_t n);

/* Decode per cte; 7bit/8bit/binary copy. -1 if full or cte unknown. */
int mime_cte_decode(struct buf *out, enum mime_cte cte, const uint8_t *s,
    size_t n);

#endif
