/*
 * jmap_build_int: what the message builder's files share (jmap_build.c
 * the properties and the order of things, jmap_build_hdr.c header fields,
 * jmap_build_body.c the MIME tree, jmap_build_enc.c transfer encodings).
 */
#ifndef CLOISTER_JMAP_BUILD_INT_H
#define CLOISTER_JMAP_BUILD_INT_H

#include "jmap_build.h"

#define BUILD_MAX_DEPTH 8
#define BUILD_MAX_PARTS 128
#define BUILD_LINE_MAX 998

struct bx {
	const struct jmap_build_env *env;
	struct buf *out;
	struct jmap_build_err *err;
	json_t *body_values;           /* the create object's bodyValues */
	unsigned nboundary, nparts;
};

/* Record the error (the first one wins); always -1. */
int bx_fail(struct bx *x, const char *type, const char *property);

/* ---- jmap_build_enc.c ---- */
/* s with every line end (LF, CR, CRLF) made CRLF. */
int enc_crlf(struct buf *out, const uint8_t *s, size_t n);
/* CRLF text that 7bit carries: ASCII, no NUL, no bare CR/LF, lines of at
 * most 998 bytes. */
bool enc_is_7bit(const uint8_t *s, size_t n);
/* Without NUL and with CRLF lines of at most 998 bytes: 8bit. */
bool enc_is_8bit(const uint8_t *s, size_t n);
/* Quoted-printable of CRLF text, lines of at most 76 characters. */
int enc_qp(struct buf *out, const uint8_t *s, size_t n);
/* Base64; wrap: lines of 76 characters, each ended by CRLF. */
int enc_base64(struct buf *out, const uint8_t *s, size_t n, bool wrap);
/* Lowercase hex of n bytes. */
int enc_hex(struct buf *out, const uint8_t *s, size_t n);

/* ---- jmap_build_hdr.c ---- */
/* One field from a "header:Name[:asForm][:all]" property; -1 on error
 * (the property is named). */
int hdr_property(struct bx *x, const char *prop, json_t *v);
/* Is prop a header: property, and which field name (lowercase)? */
bool hdr_property_name(const char *prop, char *lname, size_t n);
int hdr_text(struct bx *x, const char *name, const char *s);
int hdr_addresses(struct bx *x, const char *name, json_t *list);
int hdr_msgids(struct bx *x, const char *name, json_t *list);
int hdr_date(struct bx *x, const char *name, const char *s);
/* A parameter value for Content-Type / Content-Disposition: quoted, or
 * RFC 2231 percent-encoded UTF-8 when not ASCII. */
int hdr_param(struct bx *x, const char *param, const char *value);
/* A message id (without the angle brackets) RFC 5322 allows. */
bool hdr_msgid_ok(const char *s);

/* ---- jmap_build_body.c ---- */
/* The Content-* fields, the empty line and the body of part. */
int body_part(struct bx *x, json_t *part, unsigned depth);
/* The bodyStructure textBody, htmlBody and attachments stand for (a new
 * reference), or NULL with the error recorded. */
json_t *body_from_lists(struct bx *x, json_t *text, json_t *html,
    json_t *att);

#endif
