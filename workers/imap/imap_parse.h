/*
 * imap_parse: one whole command text (from imap_reader) -> struct imap_cmd.
 *
 * Strict RFC 9051 / RFC 3501 grammar with the extensions the server
 * offers (LITERAL+, CONDSTORE/QRESYNC, ESEARCH, LIST-EXTENDED, LIST-STATUS,
 * SPECIAL-USE, MULTIAPPEND, BINARY, QUOTA, ID, ENABLE, SASL-IR, MOVE,
 * UIDPLUS, SEARCHRES, WITHIN). Bounded: nesting depth and item counts from
 * imap_limits, every allocation from the command's arena. A command that
 * does not parse gets BAD with a message saying what was expected; the
 * parser never guesses.
 */
#ifndef CLOISTER_IMAP_PARSE_H
#define CLOISTER_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap_arena.h"
#include "imap_args.h"
#include "imap_reader.h"

enum imap_parse_result {
	IMAP_PARSE_OK = 0,
	IMAP_PARSE_BAD,         /* tagged BAD (untagged if cmd->tag is "") */
	IMAP_PARSE_NO,          /* tagged NO: well formed but refused
	                         * (e.g. [BADCHARSET]) */
};

struct imap_parse_error {
	const char *code;       /* response code text without brackets, or NULL */
	char msg[128];
};

/* Parse options the session state decides. */
enum imap_parse_flags {
	IMAP_PARSE_UTF8 = 1u << 0,     /* UTF8=ACCEPT / IMAP4rev2 enabled */
};

struct imap_parse_ctx {
	const struct imap_limits *lim;
	struct imap_arena *arena;
	const struct imap_reader *rd;  /* spooled literals; NULL = none */
	unsigned flags;
};

enum imap_parse_result imap_parse_command(const struct imap_parse_ctx *ctx,
    const uint8_t *text, size_t len, struct imap_cmd *cmd,
    struct imap_parse_error *err);

/* Name of a command id ("FETCH"). */
const char *imap_cmd_name(enum imap_cmd_id id);

#endif
