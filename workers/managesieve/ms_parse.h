/*
 * ms_parse: ManageSieve (RFC 5804) input, framed and tokenized with explicit
 * lengths. No I/O: the session feeds bytes, gets back whole commands.
 *
 * Framing (ms_reader): a command is a line, or a line ending in a literal
 * "{n+}" or "{n}" followed by n octets and more of the line. ManageSieve has
 * no continuation for literals: both forms are read the same way. Every
 * line is bounded (max_line), every literal (max_literal) and the whole
 * command (max_command). Before login a literal or command over the limit
 * ends the connection (nothing unauthenticated is buffered or skipped at
 * length); after login the command is read through and discarded, then
 * answered NO (MS_RD_REJECT).
 *
 * Tokens (ms_parse_tokens): atoms (command names, numbers), quoted strings
 * (\" and \\ escapes only; no NUL, CR or LF) and literals, separated by one
 * space, ending in CRLF. Quoted strings are unescaped in place.
 */
#ifndef CLOISTER_MS_PARSE_H
#define CLOISTER_MS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct ms_limits {
	size_t max_line;        /* bytes of one line, literals not counted */
	uint64_t max_literal;   /* bytes of one literal */
	size_t max_command;     /* bytes of the whole command */
};

/* Before login: AUTHENTICATE's data (base64 of AUTH_DATA_MAX) fits. */
#define MS_PRELOGIN_LIMITS { 24 * 1024, 24 * 1024, 32 * 1024 }

enum ms_rd_event {
	MS_RD_MORE = 0,         /* all input used, no command yet */
	MS_RD_COMMAND,          /* ms_reader_text() holds one command */
	MS_RD_REJECT,           /* a command over a limit was discarded */
	MS_RD_FATAL,            /* the connection cannot continue */
};

struct ms_reader {
	struct ms_limits lim;
	bool strict;            /* over a limit: fatal, nothing is skipped */
	struct buf cmd;         /* the command being read */
	size_t line_start;      /* offset of the line being read in cmd */
	size_t line_len;        /* bytes of it so far (also when discarding) */
	uint64_t lit_left;      /* literal octets still to come */
	bool discard;           /* over a limit: read through, keep nothing */
	bool done;              /* a command (or rejection) was returned */
	const char *reason;     /* REJECT / FATAL: why */
};

void ms_reader_init(struct ms_reader *r, const struct ms_limits *lim,
    bool strict);
void ms_reader_set_limits(struct ms_reader *r, const struct ms_limits *lim,
    bool strict);
/* Consume bytes of in (how many in *used) until a command is complete. */
enum ms_rd_event ms_reader_feed(struct ms_reader *r, const uint8_t *in,
    size_t len, size_t *used);
/* The completed command, CRLF included (writable: the tokenizer unescapes
 * in place). */
uint8_t *ms_reader_text(struct ms_reader *r, size_t *len);
/* Ready for the next command (wipes the last one: it may hold a password). */
void ms_reader_next(struct ms_reader *r);
/* Nothing buffered: the buffer may be freed while idle. */
void ms_reader_release(struct ms_reader *r);
void ms_reader_free(struct ms_reader *r);

enum ms_tok_type { MS_TOK_ATOM = 1, MS_TOK_STRING };

struct ms_token {
	enum ms_tok_type type;
	const char *s;          /* not NUL-terminated: len bytes */
	size_t len;
	bool literal;
};

#define MS_MAX_TOKENS 8

/* Split a command (from ms_reader_text) into at most MS_MAX_TOKENS tokens.
 * The count, or -1 with *err set to a short reason. */
int ms_parse_tokens(uint8_t *text, size_t len, struct ms_token *tok,
    size_t maxtok, const char **err);

/* The token as a number (HAVESPACE): digits only, at most 2^63 - 1. */
int ms_token_number(const struct ms_token *t, uint64_t *out);

#endif
