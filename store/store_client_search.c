/* store_client_search: search programs and STORE_SEARCH in the client
 * library (see store_client.h): the builder checks the stack as keys are
 * pushed, so a malformed program never leaves the worker. */
#include "store_client_int.h"

#include <stdlib.h>
#include <string.h>

void
store_search_init(struct store_search *s)
{
	memset(s, 0, sizeof(*s));
}

void
store_search_free(struct store_search *s)
{
	free(s->p);
	memset(s, 0, sizeof(*s));
}

static void
sput(struct store_search *s, const void *p, size_t n)
{
	if (s->failed)
		return;
	if (s->len + n > IPC_MAX_PAYLOAD / 2) {
		s->failed = true;
		return;
	}
	if (s->len + n > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 256;
		while (ncap < s->len + n)
			ncap *= 2;
		uint8_t *np = realloc(s->p, ncap);
		if (np == NULL) {
			s->failed = true;
			return;
		}
		s->p = np;
		s->cap = ncap;
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
}

static void
sput_u32(struct store_search *s, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
		(uint8_t)v };
	sput(s, b, 4);
}

static void
sput_str(struct store_search *s, const char *v)
{
	size_t n = strlen(v);
	if (n > STORE_SEARCH_STR_MAX) {
		s->failed = true;
		return;
	}
	sput_u32(s, (uint32_t)n);
	sput(s, v, n);
}

/* Track the stack the program leaves, so that a bad program is refused
 * here rather than by the store. */
static void
key(struct store_search *s, enum store_search_op op, int pops)
{
	uint8_t b = (uint8_t)op;
	if (s->depth < pops || ++s->nkeys > STORE_SEARCH_MAX_KEYS)
		s->failed = true;
	s->depth += 1 - pops;
	if (s->depth > STORE_SEARCH_MAX_DEPTH)
		s->failed = true;
	sput(s, &b, 1);
}

void
store_search_op(struct store_search *s, enum store_search_op op)
{
	switch (op) {
	case STORE_S_ALL:
		key(s, op, 0);
		break;
	case STORE_S_AND:
	case STORE_S_OR:
		key(s, op, 2);
		break;
	case STORE_S_NOT:
		key(s, op, 1);
		break;
	default:
		s->failed = true;
	}
}

void
store_search_u32(struct store_search *s, enum store_search_op op, uint32_t v)
{
	if (op != STORE_S_FLAGS_SET && op != STORE_S_FLAGS_UNSET) {
		s->failed = true;
		return;
	}
	key(s, op, 0);
	sput_u32(s, v);
}

void
store_search_u64(struct store_search *s, enum store_search_op op, uint64_t v)
{
	switch (op) {
	case STORE_S_INTERNALDATE_GE: case STORE_S_INTERNALDATE_LT:
	case STORE_S_SENTDATE_GE: case STORE_S_SENTDATE_LT:
	case STORE_S_SIZE_GT: case STORE_S_SIZE_LT: case STORE_S_MODSEQ_GE:
	case STORE_S_EMAILID: case STORE_S_THREADID:
	case STORE_S_SAVEDATE_GE: case STORE_S_SAVEDATE_LT: case STORE_S_MAILBOX:
	case STORE_S_INFO_SET:
		break;
	default:
		s->failed = true;
		return;
	}
	key(s, op, 0);
	sput_u32(s, (uint32_t)(v >> 32));
	sput_u32(s, (uint32_t)v);
}

void
store_search_str(struct store_search *s, enum store_search_op op,
    const char *v)
{
	if (op != STORE_S_KEYWORD && op != STORE_S_UNKEYWORD &&
	    op != STORE_S_BODY && op != STORE_S_TEXT) {
		s->failed = true;
		return;
	}
	key(s, op, 0);
	sput_str(s, v);
}

void
store_search_keyword_operand(struct store_search *s, enum store_search_op op,
    uint32_t flag, const char *keyword)
{
	if (op != STORE_S_THREAD_SOME && op != STORE_S_THREAD_ALL &&
	    op != STORE_S_SORT_KEYWORD) {
		s->failed = true;
		return;
	}
	key(s, op, 0);
	sput_u32(s, flag);
	sput_str(s, flag != 0 ? "" : keyword);
}

void
store_search_header(struct store_search *s, enum store_search_field f,
    const char *value)
{
	key(s, STORE_S_HEADER, 0);
	sput_u32(s, (uint32_t)f);
	sput_str(s, value);
}

void
store_search_header_any(struct store_search *s, const char *name,
    const char *value)
{
	key(s, STORE_S_HEADER_ANY, 0);
	sput_str(s, name);
	sput_str(s, value);
}

void
store_search_uids(struct store_search *s, const struct store_uids *u)
{
	key(s, STORE_S_UIDS, 0);
	sput_u32(s, (uint32_t)u->n);
	/* room for the pairs, then the one codec writes them */
	sput(s, u->r, u->n * 8);
	if (!s->failed && u->n > 0)
		store_uids_to_pairs(s->p + s->len - u->n * 8, u);
}

void
store_search_result_free(struct store_search_result *r)
{
	free(r->uids);
	free(r->emailids);
	memset(r, 0, sizeof(*r));
}

struct search_ctx {
	struct store_search_result *r;
	bool by_email;
};

static int
search_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct search_ctx *x = ctx;
	struct store_search_result *r = x->r;
	(void)sc;
	if (x->by_email) {
		uint64_t id;
		if (ipc_get_u64(c, &id) < 0)
			return -1;
		if (sc_push_id(&r->emailids, &r->nemail, &r->capemail, id) < 0) {
			c->failed = true;
			return -1;
		}
		return 0;
	}
	uint32_t uid;
	if (ipc_get_u32(c, &uid) < 0)
		return -1;
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 256;
		uint32_t *nu = realloc(r->uids, ncap * sizeof(*nu));
		if (nu == NULL) {
			c->failed = true;
			return -1;
		}
		r->uids = nu;
		r->cap = ncap;
	}
	r->uids[r->n++] = uid;
	return 0;
}

static int
search_trailer(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct search_ctx *x = ctx;
	(void)sc;
	return ipc_get_u64(c, &x->r->highestmodseq);
}

int
store_search(struct store_conn *sc, uint64_t mailbox_id,
    const struct store_search *prog, const uint32_t *sort, size_t nsort,
    struct store_search_result *res)
{
	struct search_ctx x = { res, mailbox_id == 0 };
	struct stream_ops ops = { search_entry, search_trailer, &x };
	if (prog->failed || prog->depth != 1)
		return sc_fail(sc, STORE_E_ARG, "malformed search program");
	sc_start(sc);
	res->n = 0;
	res->nemail = 0;
	res->highestmodseq = 0;
	ipc_put_u64(&sc->req, mailbox_id);
	ipc_put_bytes(&sc->req, prog->p, prog->len);
	ipc_put_u32(&sc->req, (uint32_t)nsort);
	for (size_t i = 0; i < nsort; i++)
		ipc_put_u32(&sc->req, sort[i]);
	return sc_call_stream(sc, IPC_STORE_SEARCH, &ops);
}

static int
email_query_trailer(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct search_ctx *x = ctx;
	(void)sc;
	ipc_get_u64(c, &x->r->highestmodseq);
	ipc_get_u64(c, &x->r->total);
	return ipc_get_u64(c, &x->r->position);
}

int
store_email_query(struct store_conn *sc, const struct store_search *prog,
    const uint32_t *sort, size_t nsort, const struct store_email_window *w,
    struct store_search_result *res)
{
	struct search_ctx x = { res, true };
	struct stream_ops ops = { search_entry, email_query_trailer, &x };
	if (prog->failed || prog->depth != 1)
		return sc_fail(sc, STORE_E_ARG, "malformed search program");
	sc_start(sc);
	res->nemail = 0;
	res->highestmodseq = res->total = res->position = 0;
	ipc_put_bytes(&sc->req, prog->p, prog->len);
	ipc_put_u32(&sc->req, (uint32_t)nsort);
	for (size_t i = 0; i < nsort; i++)
		ipc_put_u32(&sc->req, sort[i]);
	ipc_put_u64(&sc->req, (uint64_t)w->position);
	ipc_put_u64(&sc->req, w->anchor);
	ipc_put_u64(&sc->req, (uint64_t)w->anchor_offset);
	ipc_put_u64(&sc->req, w->limit);
	ipc_put_u32(&sc->req, w->collapse ? 1 : 0);
	return sc_call_stream(sc, IPC_STORE_EMAIL_QUERY, &ops);
}
