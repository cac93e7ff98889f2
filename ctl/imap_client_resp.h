/*
 * imap_client_resp: an IMAP server's responses as a client reads them, in
 * two steps with no I/O: framing (where a response ends: its line and the
 * literals it announces) and tokens (tag, number, name, the status code
 * and text, or the data as atoms, strings and parenthesised lists).
 *
 * Everything here parses bytes from a remote server: untrusted. Limits are
 * explicit (a literal's size, a line's length, the token count, nesting)
 * and every token points into the caller's buffer, with its length.
 */
#ifndef CLOISTER_IMAP_CLIENT_RESP_H
#define CLOISTER_IMAP_CLIENT_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAPC_LINE_MAX (1u << 20)     /* bytes of one line between literals */
#define IMAPC_TOKENS_MAX 65536u       /* tokens of one response */
#define IMAPC_DEPTH_MAX 32u           /* nested parentheses */

/* Framing state, kept across reads of the same response. */
struct imapc_frame {
	size_t seg;      /* start of the line segment being scanned */
	size_t scanned;  /* bytes of it already searched for CRLF */
};

/* Given buf[0..len) (a response starts at 0): the response's length when
 * it is complete, 0 when more bytes are needed, -1 when it breaks a limit
 * (a literal over max_literal, a line over IMAPC_LINE_MAX). Reset *f to
 * zeros for each new response. */
long imapc_frame_next(struct imapc_frame *f, const char *buf, size_t len,
    size_t max_literal);

enum imapc_tok_type {
	IMAPC_ATOM,      /* includes flags (\Seen), numbers, BODY[] */
	IMAPC_STRING,    /* quoted (unescaped) or literal */
	IMAPC_NIL,
	IMAPC_OPEN,      /* '(' : close is the index of its ')' */
	IMAPC_CLOSE,
};

struct imapc_tok {
	enum imapc_tok_type type;
	const char *p;
	size_t len;
	size_t close;
};

enum imapc_kind {
	IMAPC_TAGGED,
	IMAPC_UNTAGGED,
	IMAPC_CONTINUE,  /* "+ text" */
};

struct imapc_resp {
	enum imapc_kind kind;
	const char *tag;            /* tagged: the tag */
	size_t taglen;
	bool has_number;            /* "* 3 EXISTS", "* 4 FETCH (...)" */
	uint32_t number;
	const char *name;           /* OK, NO, LIST, FETCH, ... */
	size_t namelen;
	bool status;                /* OK NO BAD PREAUTH BYE: code + text */
	const char *text;           /* resp-text after the code */
	size_t textlen;
	/* status: the code's tokens ([UIDVALIDITY 3] = UIDVALIDITY, 3);
	 * otherwise the data after the name */
	struct imapc_tok *toks;
	size_t ntoks, cap;
};

/* Tokenise one framed response (buf[0..len), as imapc_frame_next found
 * it); quoted strings are unescaped in place. 0, or -1 if malformed. */
int imapc_resp_parse(struct imapc_resp *r, char *buf, size_t len);
void imapc_resp_free(struct imapc_resp *r);

/* Case-insensitive comparison of a token or name with a C string. */
bool imapc_is(const char *p, size_t len, const char *word);
/* An unsigned 32-bit number token; -1 if it is not one. */
int imapc_u32(const struct imapc_tok *t, uint32_t *out);

#endif
