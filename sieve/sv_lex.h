/*
 * sv_lex: the tokens of RFC 5228 section 8.1: identifiers, tags, numbers
 * with K/M/G quantifiers, quoted and multi-line strings (decoded: escapes
 * resolved, dot-stuffing removed), the punctuation, with hash and bracket
 * comments and white space skipped.
 */
#ifndef CLOISTER_SV_LEX_H
#define CLOISTER_SV_LEX_H

#include <stddef.h>
#include <stdint.h>

#include "sieve.h"
#include "imap_arena.h"

enum sv_tok {
	SV_T_ERR = -1,
	SV_T_EOF = 0,
	SV_T_IDENT,
	SV_T_TAG,
	SV_T_NUM,
	SV_T_STR,
	SV_T_LBRACKET,
	SV_T_RBRACKET,
	SV_T_LPAREN,
	SV_T_RPAREN,
	SV_T_LBRACE,
	SV_T_RBRACE,
	SV_T_COMMA,
	SV_T_SEMI,
};

struct sv_token {
	enum sv_tok t;
	uint32_t line, col;
	const char *s;   /* IDENT, TAG (without ':'), STR: arena copy */
	uint32_t n;
	uint64_t num;
};

struct sv_lexer {
	const char *src;
	size_t len, pos;
	uint32_t line;
	size_t line_start;   /* offset of the current line's first byte */
	struct imap_arena *arena;
	struct sieve_error *err;
};

void sv_lex_init(struct sv_lexer *l, const char *src, size_t len,
    struct imap_arena *a, struct sieve_error *err);
/* The next token; SV_T_ERR with *l->err set on a lexical error. */
enum sv_tok sv_lex_next(struct sv_lexer *l, struct sv_token *t);
const char *sv_tok_name(enum sv_tok t);

#endif
