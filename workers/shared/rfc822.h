/*
 * rfc822: the lexical layer of RFC 5322 / RFC 2045 header values.
 *
 * A cursor over borrowed bytes (never past end) and the token readers the
 * address, Content-Type and date parsers share. Readers append what they
 * read to a bounded buf (quoted strings unquoted, folding removed) and
 * return 1 when more input follows, 0 at the end, -1 on a syntax error.
 * Lenient where real mail is: obsolete forms, 8-bit bytes in atoms.
 */
#ifndef CLOISTER_RFC822_H
#define CLOISTER_RFC822_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct rfc822_cur {
	const uint8_t *p;
	const uint8_t *end;
	struct buf *last_comment;   /* if set, the text of the last comment */
};

void rfc822_init(struct rfc822_cur *c, const void *p, size_t len);
static inline bool rfc822_more(const struct rfc822_cur *c)
{
	return c->p < c->end;
}

/* atext (RFC 5322) plus 8-bit bytes. */
bool rfc822_is_atext(uint8_t c);
/* MIME token character: atext minus tspecials "/", "?", "=" (plus "."). */
bool rfc822_is_token(uint8_t c);

/* Skip whitespace, folding and (nested) comments. */
int rfc822_skip_cfws(struct rfc822_cur *c);
int rfc822_atom(struct rfc822_cur *c, struct buf *out);
int rfc822_dot_atom(struct rfc822_cur *c, struct buf *out);
/* Cursor at '"'. */
int rfc822_quoted(struct rfc822_cur *c, struct buf *out);
/* words joined by single spaces; "." allowed (obs-phrase). */
int rfc822_phrase(struct rfc822_cur *c, struct buf *out);
/* Cursor at '@': dot-atom or [domain-literal]. */
int rfc822_domain(struct rfc822_cur *c, struct buf *out);
int rfc822_mime_token(struct rfc822_cur *c, struct buf *out);

/* Header field values: drop CR/LF of folding (a CRLF followed by a
 * non-blank becomes a space), keep every other byte. */
int rfc822_unfold(struct buf *out, const uint8_t *p, size_t n);

#endif
