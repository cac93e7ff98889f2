/*
 * sv_decode: program bytes to a tree, every length and count checked
 * against the bytes left and the limits of sieve.h before it is used.
 * Errors name the byte offset (line 0).
 */
#include "sv_program.h"

#include <string.h>

#include "sv_table.h"

struct reader {
	const uint8_t *p;
	size_t len, pos;
	struct imap_arena *arena;
	struct sieve_error *err;
	uint32_t nodes;
};

#define bad(r, ...) (sv_error_set((r)->err, 0, (uint32_t)(r)->pos, \
	__VA_ARGS__), -1)

static int
get_u8(struct reader *r, uint8_t *v)
{
	if (r->pos >= r->len)
		return bad(r, "%s", "truncated");
	*v = r->p[r->pos++];
	return 0;
}

static int
get_varint(struct reader *r, uint64_t *v, uint64_t max)
{
	uint64_t x = 0;
	for (unsigned shift = 0;; shift += 7) {
		uint8_t b;
		if (shift > 63 || get_u8(r, &b) < 0)
			return shift > 63 ? bad(r, "%s", "varint too long") : -1;
		if (shift == 63 && (b & 0x7e))
			return bad(r, "%s", "varint overflows");
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (b == 0 && shift > 0)
				return bad(r, "%s", "overlong varint");
			break;
		}
	}
	if (x > max)
		return bad(r, "%s", "value out of range");
	*v = x;
	return 0;
}

static int
get_str(struct reader *r, struct sv_str *s)
{
	uint64_t n;
	if (get_varint(r, &n, SIEVE_MAX_STRING) < 0)
		return -1;
	if (n > r->len - r->pos)
		return bad(r, "%s", "string past the end");
	char *c = imap_arena_strndup(r->arena, (const char *)r->p + r->pos, n);
	if (c == NULL)
		return bad(r, "%s", "program too large");
	r->pos += n;
	s->s = c;
	s->n = (uint32_t)n;
	return 0;
}

static int get_node(struct reader *r, struct sv_node **out, bool is_test,
    unsigned depth);

static int
get_list(struct reader *r, struct sv_arg *a)
{
	uint64_t n;
	if (get_varint(r, &n, SIEVE_MAX_LIST) < 0)
		return -1;
	if (n == 0)
		return bad(r, "%s", "empty string list");
	a->strs = imap_arena_alloc(r->arena, n * sizeof(*a->strs));
	if (a->strs == NULL)
		return bad(r, "%s", "program too large");
	a->nstrs = (uint32_t)n;
	for (uint64_t i = 0; i < n; i++)
		if (get_str(r, &a->strs[i]) < 0)
			return -1;
	return 0;
}

static int
get_tests(struct reader *r, struct sv_arg *a, uint64_t n, unsigned depth)
{
	struct sv_node **tail = &a->tests;
	for (uint64_t i = 0; i < n; i++) {
		if (get_node(r, tail, true, depth + 1) < 0)
			return -1;
		tail = &(*tail)->next;
	}
	a->ntests = (uint32_t)n;
	return 0;
}

static int
get_arg(struct reader *r, struct sv_arg *a, unsigned depth)
{
	uint64_t n;
	a->line = a->col = 0;
	if (get_u8(r, &a->type) < 0)
		return -1;
	switch (a->type) {
	case SV_ARG_TAG: {
		uint8_t t;
		if (get_u8(r, &t) < 0)
			return -1;
		if (t == 0 || t >= SV_TAG_MAX)
			return bad(r, "%s", "unknown tag id");
		a->tag = t;
		return 0;
	}
	case SV_ARG_NUM:
		return get_varint(r, &a->num, INT64_MAX);
	case SV_ARG_STR:
		a->strs = imap_arena_alloc(r->arena, sizeof(*a->strs));
		if (a->strs == NULL)
			return bad(r, "%s", "program too large");
		a->nstrs = 1;
		return get_str(r, &a->strs[0]);
	case SV_ARG_LIST:
		return get_list(r, a);
	case SV_ARG_TEST:
		return get_tests(r, a, 1, depth);
	case SV_ARG_TESTS:
		if (get_varint(r, &n, SIEVE_MAX_NODES) < 0)
			return -1;
		if (n == 0)
			return bad(r, "%s", "empty test list");
		return get_tests(r, a, n, depth);
	default:
		return bad(r, "%s", "unknown argument type");
	}
}

static int get_block(struct reader *r, struct sv_node **first,
    uint32_t *count, size_t end, unsigned depth);

static int
get_node(struct reader *r, struct sv_node **out, bool is_test,
    unsigned depth)
{
	if (depth >= SIEVE_MAX_DEPTH)
		return bad(r, "%s", "nested too deeply");
	if (++r->nodes > SIEVE_MAX_NODES)
		return bad(r, "%s", "too many commands and tests");
	struct sv_node *n = imap_arena_alloc(r->arena, sizeof(*n));
	uint8_t id, nargs;
	uint64_t line, col;
	if (n == NULL)
		return bad(r, "%s", "program too large");
	if (get_u8(r, &id) < 0 || get_varint(r, &line, UINT32_MAX) < 0 ||
	    get_varint(r, &col, UINT32_MAX) < 0 || get_u8(r, &nargs) < 0)
		return -1;
	if (id == 0 || id >= (is_test ? SV_X_MAX : SV_C_MAX))
		return bad(r, "%s", "unknown command or test id");
	if (nargs > SIEVE_MAX_ARGS)
		return bad(r, "%s", "too many arguments");
	n->id = id;
	n->is_test = is_test;
	n->line = (uint32_t)line;
	n->col = (uint32_t)col;
	n->args = imap_arena_alloc(r->arena, (nargs ? nargs : 1) *
	    sizeof(*n->args));
	if (n->args == NULL)
		return bad(r, "%s", "program too large");
	n->nargs = nargs;
	for (unsigned i = 0; i < nargs; i++) {
		if (get_arg(r, &n->args[i], depth) < 0)
			return -1;
		n->args[i].line = n->line;
		n->args[i].col = n->col;
	}
	*out = n;
	if (is_test || !sv_cmds[id].block)
		return 0;
	uint64_t blen;
	if (get_varint(r, &blen, SIEVE_MAX_PROGRAM) < 0)
		return -1;
	if (blen > r->len - r->pos)  /* measured past the length's own bytes */
		return bad(r, "%s", "block past the end");
	n->has_block = true;
	return get_block(r, &n->block, &n->nblock, r->pos + blen, depth + 1);
}

/* A block that must end exactly at end: its length is the only jump in
 * a program, always forward and inside its parent. */
static int
get_block(struct reader *r, struct sv_node **first, uint32_t *count,
    size_t end, unsigned depth)
{
	uint64_t n;
	size_t outer = r->len;
	r->len = end;
	if (get_varint(r, &n, SIEVE_MAX_NODES) < 0)
		return -1;
	struct sv_node **tail = first;
	for (uint64_t i = 0; i < n; i++) {
		if (get_node(r, tail, false, depth) < 0)
			return -1;
		tail = &(*tail)->next;
	}
	if (r->pos != end)
		return bad(r, "%s", "block length does not match its contents");
	*count = (uint32_t)n;
	r->len = outer;
	return 0;
}

int
sv_decode(struct sv_script *s, const uint8_t *p, size_t len,
    struct sieve_error *err)
{
	struct reader r = { p, len, 0, &s->arena, err, 0 };
	if (len > SIEVE_MAX_PROGRAM)
		return bad(&r, "%s", "program too large");
	if (len < SV_PROGRAM_HEADER || memcmp(p, SV_PROGRAM_MAGIC, 4) != 0)
		return bad(&r, "%s", "not a Sieve program");
	if (p[4] != SV_PROGRAM_VERSION || p[5] != 0)
		return bad(&r, "unsupported program version %u", p[4]);
	uint32_t body = (uint32_t)p[6] << 24 | (uint32_t)p[7] << 16 |
	    (uint32_t)p[8] << 8 | p[9];
	r.pos = SV_PROGRAM_HEADER;
	if (body != len - SV_PROGRAM_HEADER)
		return bad(&r, "%s", "body length does not match");
	return get_block(&r, &s->cmds, &s->ncmds, len, 0);
}
