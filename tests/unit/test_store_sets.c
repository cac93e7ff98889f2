/* Unit tests for the store's UID sets (store_uids_*, the one set both ends
 * use; its wire codec: test_store_proto.c) against a bitmap model, the
 * metadata block decoder's bounds, and the client's search program
 * builder. */
#include "check.h"
#include "ipc.h"
#include "meta.h"
#include "store_client.h"

#include <stdlib.h>
#include <string.h>

#define MODEL 300

static void
test_model(void)
{
	static bool bits[MODEL + 2];
	struct store_uids cu = { 0 };
	srand(7);
	for (int round = 0; round < 2000; round++) {
		uint32_t lo = 1 + (uint32_t)(rand() % MODEL);
		uint32_t hi = lo + (uint32_t)(rand() % 12);
		if (hi > MODEL)
			hi = MODEL;
		for (uint32_t i = lo; i <= hi; i++)
			bits[i] = true;
		CHECK_EQ(store_uids_add(&cu, lo, hi), 0);
		if (round % 100 == 0) {
			uint64_t n = 0;
			for (uint32_t i = 1; i <= MODEL + 1; i++) {
				CHECK_EQ(store_uids_has(&cu, i), bits[i]);
				n += bits[i];
			}
			CHECK_EQ(store_uids_count(&cu), n);
			/* normalized: sorted, disjoint, not adjacent */
			for (size_t k = 1; k < cu.n; k++)
				CHECK(cu.r[k].lo > cu.r[k - 1].hi + 1);
		}
	}
	CHECK_EQ(store_uids_add(&cu, 0, 3), -1);       /* UID 0 does not exist */
	CHECK_EQ(store_uids_add(&cu, 5, 4), -1);
	/* '*' swallows what follows */
	store_uids_clear(&cu);
	store_uids_add(&cu, 10, STORE_UID_MAX);
	store_uids_add(&cu, 20, 30);
	CHECK_EQ(cu.n, 1);
	CHECK(store_uids_has(&cu, 4000000000u));
	store_uids_free(&cu);
}

static void
put_meta(struct buf *b, uint32_t flags, uint32_t nkw, size_t textlen)
{
	buf_reset(b);
	ipc_put_u64(b, 1700000000);
	ipc_put_u32(b, (uint32_t)-120);
	ipc_put_u32(b, flags);
	ipc_put_u32(b, nkw);
	for (uint32_t i = 0; i < nkw; i++)
		ipc_put_str(b, "$kw");
	ipc_put_u64(b, 0);
	for (int i = 0; i < MT_COUNT; i++)
		ipc_put_bytes(b, "x", 1);
	ipc_put_u32(b, 0);
	ipc_put_bytes(b, "h: v\n", 5);
	char *t = calloc(1, textlen + 1);
	ipc_put_bytes(b, t, textlen);
	free(t);
}

static void
test_meta(void)
{
	static struct meta m;
	struct buf b = BUF_INIT(64 * 1024 * 1024);
	put_meta(&b, STORE_FLAG_SEEN, 2, 10);
	CHECK_EQ(meta_decode(b.data, b.len, &m), 0);
	CHECK_EQ(m.tzoff, -120);
	CHECK_EQ(m.nkw, 2);
	CHECK_EQ(m.text.n, 10);
	/* every truncation fails, and so does a byte too many */
	size_t full = b.len;
	for (size_t cut = 0; cut < full; cut += 7)
		CHECK_EQ(meta_decode(b.data, cut, &m), -1);
	buf_append_byte(&b, 0);
	CHECK_EQ(meta_decode(b.data, b.len, &m), -1);
	put_meta(&b, 1u << 9, 0, 1);                       /* unknown flag */
	CHECK_EQ(meta_decode(b.data, b.len, &m), -1);
	put_meta(&b, 0, STORE_MAX_KEYWORDS + 1, 1);        /* too many keywords */
	CHECK_EQ(meta_decode(b.data, b.len, &m), -1);
	put_meta(&b, 0, 0, 33 * 1024 * 1024);              /* text past its bound */
	CHECK_EQ(meta_decode(b.data, b.len, &m), -1);
	buf_free(&b);
}

static void
test_search_builder(void)
{
	struct store_search s;
	store_search_init(&s);
	store_search_u32(&s, STORE_S_FLAGS_SET, STORE_FLAG_FLAGGED);
	store_search_str(&s, STORE_S_BODY, "lunch");
	store_search_op(&s, STORE_S_OR);
	store_search_op(&s, STORE_S_NOT);
	CHECK(!s.failed);
	CHECK_EQ(s.depth, 1);
	store_search_free(&s);
	/* an operator without operands, a key of the wrong kind, too deep */
	store_search_init(&s);
	store_search_op(&s, STORE_S_AND);
	CHECK(s.failed);
	store_search_free(&s);
	store_search_init(&s);
	store_search_u32(&s, STORE_S_BODY, 1);
	CHECK(s.failed);
	store_search_free(&s);
	/* thread keyword keys push one value; other opcodes are refused */
	store_search_init(&s);
	store_search_keyword_operand(&s, STORE_S_THREAD_SOME, 0, "todo");
	store_search_keyword_operand(&s, STORE_S_THREAD_ALL, STORE_FLAG_SEEN,
	    "");
	store_search_op(&s, STORE_S_AND);
	CHECK(!s.failed);
	CHECK_EQ(s.depth, 1);
	store_search_free(&s);
	store_search_init(&s);
	store_search_keyword_operand(&s, STORE_S_KEYWORD, 0, "todo");
	CHECK(s.failed);
	store_search_free(&s);
	store_search_init(&s);
	for (int i = 0; i <= STORE_SEARCH_MAX_DEPTH; i++)
		store_search_op(&s, STORE_S_ALL);
	CHECK(s.failed);
	store_search_free(&s);
}

int
main(void)
{
	test_model();
	test_meta();
	test_search_builder();
	return check_done("store_sets");
}
