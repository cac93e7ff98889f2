/* sv_encode: a checked tree to program bytes (sv_program.h). */
#include "sv_program.h"

#include <string.h>

void
sv_put_varint(struct buf *b, uint64_t v)
{
	while (v >= 0x80) {
		buf_append_byte(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	buf_append_byte(b, (uint8_t)v);
}

static void
put_str(struct buf *b, const struct sv_str *s)
{
	sv_put_varint(b, s->n);
	buf_append(b, s->s, s->n);
}

static void put_block(struct buf *b, const struct sv_node *first,
    uint32_t count);

static void
put_node(struct buf *b, const struct sv_node *n)
{
	buf_append_byte(b, (uint8_t)n->id);
	sv_put_varint(b, n->line);
	sv_put_varint(b, n->col);
	buf_append_byte(b, (uint8_t)n->nargs);
	for (uint32_t i = 0; i < n->nargs; i++) {
		const struct sv_arg *a = &n->args[i];
		buf_append_byte(b, a->type);
		switch (a->type) {
		case SV_ARG_TAG:
			buf_append_byte(b, (uint8_t)a->tag);
			break;
		case SV_ARG_NUM:
			sv_put_varint(b, a->num);
			break;
		case SV_ARG_STR:
			put_str(b, &a->strs[0]);
			break;
		case SV_ARG_LIST:
			sv_put_varint(b, a->nstrs);
			for (uint32_t k = 0; k < a->nstrs; k++)
				put_str(b, &a->strs[k]);
			break;
		case SV_ARG_TEST:
			put_node(b, a->tests);
			break;
		default:
			sv_put_varint(b, a->ntests);
			for (const struct sv_node *t = a->tests; t; t = t->next)
				put_node(b, t);
			break;
		}
	}
	if (!n->has_block)
		return;
	/* the block behind its length: a reader can skip it, and the loader
	 * checks that it ends exactly there */
	struct buf inner = BUF_INIT(SIEVE_MAX_PROGRAM);
	put_block(&inner, n->block, n->nblock);
	if (inner.failed)
		b->failed = true;
	sv_put_varint(b, inner.len);
	buf_append(b, inner.data, inner.len);
	buf_free(&inner);
}

static void
put_block(struct buf *b, const struct sv_node *first, uint32_t count)
{
	sv_put_varint(b, count);
	for (const struct sv_node *n = first; n != NULL; n = n->next)
		put_node(b, n);
}

int
sv_encode(const struct sv_script *s, struct buf *out)
{
	struct buf body = BUF_INIT(SIEVE_MAX_PROGRAM);
	put_block(&body, s->cmds, s->ncmds);
	if (body.failed || body.len > SIEVE_MAX_PROGRAM - SV_PROGRAM_HEADER) {
		buf_free(&body);
		return -1;
	}
	uint8_t h[SV_PROGRAM_HEADER];
	memcpy(h, SV_PROGRAM_MAGIC, 4);
	h[4] = SV_PROGRAM_VERSION;
	h[5] = 0;
	uint32_t n = (uint32_t)body.len;
	h[6] = (uint8_t)(n >> 24);
	h[7] = (uint8_t)(n >> 16);
	h[8] = (uint8_t)(n >> 8);
	h[9] = (uint8_t)n;
	int rc = (buf_append(out, h, sizeof(h)) < 0 ||
	    buf_append(out, body.data, body.len) < 0) ? -1 : 0;
	buf_free(&body);
	return rc;
}
