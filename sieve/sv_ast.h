/*
 * sv_ast: the tree of a Sieve script, as the parser builds it from source
 * and the loader from a program. Every node and argument keeps its line and
 * column (a loaded program keeps the ones the compiler saw), so errors at
 * check time and at run time can point into the script.
 */
#ifndef CLOISTER_SV_AST_H
#define CLOISTER_SV_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "sieve.h"
#include "imap_arena.h"

enum sv_arg_type {
	SV_ARG_TAG = 1,
	SV_ARG_NUM,
	SV_ARG_STR,    /* one string */
	SV_ARG_LIST,   /* a bracketed string list */
	SV_ARG_TEST,   /* one test */
	SV_ARG_TESTS,  /* a parenthesised test list */
	SV_ARG_TYPE_MAX = SV_ARG_TESTS,
};

struct sv_str {
	const char *s;  /* NUL-terminated; may hold NULs before n */
	uint32_t n;
};

struct sv_node;

struct sv_arg {
	uint8_t type;
	uint16_t tag;          /* SV_ARG_TAG: the tag's id (sv_table.h) */
	uint32_t line, col;
	const char *tagname;   /* SV_ARG_TAG: without the colon */
	uint64_t num;
	struct sv_str *strs;   /* SV_ARG_STR (1) or SV_ARG_LIST */
	uint32_t nstrs;
	struct sv_node *tests; /* SV_ARG_TEST (1) or SV_ARG_TESTS, via next */
	uint32_t ntests;
};

struct sv_node {
	const char *name;
	uint16_t id;           /* command or test id (sv_table.h) */
	bool is_test;
	bool has_block;
	uint32_t line, col;
	struct sv_arg *args;
	uint32_t nargs;
	struct sv_node *block; /* first command of the block, via next */
	uint32_t nblock;
	struct sv_node *next;
};

struct sv_script {
	struct imap_arena arena;
	struct sv_node *cmds;
	uint32_t ncmds;
	uint64_t exts;         /* bit per extension the script requires */
};

void sv_error_set(struct sieve_error *e, uint32_t line, uint32_t col,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Parses source into s (whose arena the caller initialised). */
int sv_parse(struct sv_script *s, const char *src, size_t len,
    struct sieve_error *err);

#endif
