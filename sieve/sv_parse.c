/*
 * sv_parse: RFC 5228 section 8.2's grammar to the tree of sv_ast.h, by
 * recursive descent under SIEVE_MAX_DEPTH, SIEVE_MAX_NODES, SIEVE_MAX_LIST
 * and SIEVE_MAX_ARGS. Which commands and tests exist is sv_check's
 * concern; this file knows only the shapes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sv_ast.h"
#include "sv_lex.h"

struct parser {
	struct sv_lexer lx;
	struct sv_token tok;      /* the lookahead */
	struct imap_arena *arena;
	struct sieve_error *err;
	uint32_t nodes;
};

void
sv_error_set(struct sieve_error *e, uint32_t line, uint32_t col,
    const char *fmt, ...)
{
	va_list ap;
	e->line = line;
	e->col = col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

static int
next(struct parser *p)
{
	return sv_lex_next(&p->lx, &p->tok) == SV_T_ERR ? -1 : 0;
}

static int
unexpected(struct parser *p, const char *wanted)
{
	sv_error_set(p->err, p->tok.line, p->tok.col, "expected %s, found %s",
	    wanted, sv_tok_name(p->tok.t));
	return -1;
}

static int
too_large(struct parser *p, const char *what)
{
	sv_error_set(p->err, p->tok.line, p->tok.col, "%s", what);
	return -1;
}

/* string-list = "[" string *("," string) "]" / string */
static int
parse_string_list(struct parser *p, struct sv_arg *a)
{
	a->line = p->tok.line;
	a->col = p->tok.col;
	if (p->tok.t == SV_T_STR) {
		a->type = SV_ARG_STR;
		a->strs = imap_arena_alloc(p->arena, sizeof(*a->strs));
		if (a->strs == NULL)
			return too_large(p, "script too large");
		a->strs[0].s = p->tok.s;
		a->strs[0].n = p->tok.n;
		a->nstrs = 1;
		return next(p);
	}
	struct sv_str items[SIEVE_MAX_LIST];
	uint32_t n = 0;
	a->type = SV_ARG_LIST;
	do {
		if (next(p) < 0)
			return -1;
		if (p->tok.t != SV_T_STR)
			return unexpected(p, "string");
		if (n == SIEVE_MAX_LIST)
			return too_large(p, "too many strings in a list");
		items[n].s = p->tok.s;
		items[n++].n = p->tok.n;
		if (next(p) < 0)
			return -1;
	} while (p->tok.t == SV_T_COMMA);
	if (p->tok.t != SV_T_RBRACKET)
		return unexpected(p, "',' or ']'");
	a->strs = imap_arena_alloc(p->arena, n * sizeof(*a->strs));
	if (a->strs == NULL)
		return too_large(p, "script too large");
	memcpy(a->strs, items, n * sizeof(*a->strs));
	a->nstrs = n;
	return next(p);
}

static struct sv_node *parse_test(struct parser *p, unsigned depth);

/* test-list = "(" test *("," test) ")" */
static int
parse_test_list(struct parser *p, struct sv_arg *a, unsigned depth)
{
	struct sv_node **tail = &a->tests;
	a->type = SV_ARG_TESTS;
	a->line = p->tok.line;
	a->col = p->tok.col;
	do {
		if (next(p) < 0)
			return -1;
		struct sv_node *t = parse_test(p, depth);
		if (t == NULL)
			return -1;
		*tail = t;
		tail = &t->next;
		a->ntests++;
	} while (p->tok.t == SV_T_COMMA);
	if (p->tok.t != SV_T_RPAREN)
		return unexpected(p, "',' or ')'");
	return next(p);
}

/* arguments = *argument [ test / test-list ] */
static int
parse_arguments(struct parser *p, struct sv_node *n, unsigned depth)
{
	struct sv_arg args[SIEVE_MAX_ARGS + 1];
	uint32_t k = 0;
	for (;;) {
		if (k == SIEVE_MAX_ARGS)
			return too_large(p, "too many arguments");
		struct sv_arg *a = &args[k];
		memset(a, 0, sizeof(*a));
		a->line = p->tok.line;
		a->col = p->tok.col;
		if (p->tok.t == SV_T_STR || p->tok.t == SV_T_LBRACKET) {
			if (parse_string_list(p, a) < 0)
				return -1;
		} else if (p->tok.t == SV_T_NUM) {
			a->type = SV_ARG_NUM;
			a->num = p->tok.num;
			if (next(p) < 0)
				return -1;
		} else if (p->tok.t == SV_T_TAG) {
			a->type = SV_ARG_TAG;
			a->tagname = p->tok.s;
			if (next(p) < 0)
				return -1;
		} else if (p->tok.t == SV_T_IDENT) {
			a->type = SV_ARG_TEST;
			a->tests = parse_test(p, depth);
			if (a->tests == NULL)
				return -1;
			a->ntests = 1;
			k++;
			break;
		} else if (p->tok.t == SV_T_LPAREN) {
			if (parse_test_list(p, a, depth) < 0)
				return -1;
			k++;
			break;
		} else {
			break;
		}
		k++;
	}
	n->args = imap_arena_alloc(p->arena, (k ? k : 1) * sizeof(*n->args));
	if (n->args == NULL)
		return too_large(p, "script too large");
	memcpy(n->args, args, k * sizeof(*n->args));
	n->nargs = k;
	return 0;
}

static struct sv_node *
new_node(struct parser *p, unsigned depth)
{
	if (depth >= SIEVE_MAX_DEPTH) {
		too_large(p, "nested too deeply");
		return NULL;
	}
	if (p->nodes >= SIEVE_MAX_NODES) {
		too_large(p, "too many commands and tests");
		return NULL;
	}
	struct sv_node *n = imap_arena_alloc(p->arena, sizeof(*n));
	if (n == NULL) {
		too_large(p, "script too large");
		return NULL;
	}
	p->nodes++;
	n->name = p->tok.s;
	n->line = p->tok.line;
	n->col = p->tok.col;
	return n;
}

/* test = identifier arguments */
static struct sv_node *
parse_test(struct parser *p, unsigned depth)
{
	if (p->tok.t != SV_T_IDENT) {
		unexpected(p, "test");
		return NULL;
	}
	struct sv_node *n = new_node(p, depth + 1);
	if (n == NULL || next(p) < 0)
		return NULL;
	n->is_test = true;
	return parse_arguments(p, n, depth + 1) < 0 ? NULL : n;
}

static int parse_commands(struct parser *p, struct sv_node **first,
    uint32_t *count, unsigned depth, bool in_block);

/* command = identifier arguments (";" / block) */
static struct sv_node *
parse_command(struct parser *p, unsigned depth)
{
	struct sv_node *n = new_node(p, depth);
	if (n == NULL || next(p) < 0)
		return NULL;
	if (parse_arguments(p, n, depth) < 0)
		return NULL;
	if (p->tok.t == SV_T_SEMI)
		return next(p) < 0 ? NULL : n;
	if (p->tok.t != SV_T_LBRACE) {
		unexpected(p, "';' or '{'");
		return NULL;
	}
	n->has_block = true;
	if (next(p) < 0 ||
	    parse_commands(p, &n->block, &n->nblock, depth + 1, true) < 0)
		return NULL;
	return n;
}

/* commands up to "}" (in a block, consumed) or the end of the script */
static int
parse_commands(struct parser *p, struct sv_node **first, uint32_t *count,
    unsigned depth, bool in_block)
{
	struct sv_node **tail = first;
	for (;;) {
		if (p->tok.t == SV_T_RBRACE && in_block)
			return next(p);
		if (p->tok.t == SV_T_EOF && !in_block)
			return 0;
		if (p->tok.t != SV_T_IDENT)
			return unexpected(p, in_block ? "command or '}'" :
			    "command");
		struct sv_node *n = parse_command(p, depth);
		if (n == NULL)
			return -1;
		*tail = n;
		tail = &n->next;
		(*count)++;
	}
}

int
sv_parse(struct sv_script *s, const char *src, size_t len,
    struct sieve_error *err)
{
	struct parser p = { .arena = &s->arena, .err = err };
	if (len > SIEVE_MAX_SCRIPT) {
		sv_error_set(err, 1, 1, "script larger than %u bytes",
		    SIEVE_MAX_SCRIPT);
		return -1;
	}
	sv_lex_init(&p.lx, src, len, &s->arena, err);
	if (next(&p) < 0)
		return -1;
	return parse_commands(&p, &s->cmds, &s->ncmds, 0, false);
}
