/* Unit tests for store_proto and meta: the codecs both ends of the store
 * protocol share (UID sets, message entries, the metadata block), each
 * encoded then decoded, and malformed input refused; the user -> shard
 * hash against known values. */
#include "check.h"
#include "ipc.h"
#include "meta.h"
#include "store_proto.h"

#include <stdlib.h>
#include <string.h>

static void
test_shard(void)
{
	/* FNV-1a 32: "" = 0x811c9dc5, "a" = 0xe40c292c, "alice" = 0x872213e7
	 * (the reference FNV-1a values) */
	CHECK_EQ(store_shard_of("alice", 0), 0);
	CHECK_EQ(store_shard_of("alice", 1), 0);
	CHECK_EQ(store_shard_of("a", 7), 0xe40c292cu % 7);
	CHECK_EQ(store_shard_of("", 3), 0x811c9dc5u % 3);
	CHECK_EQ(store_shard_of("alice", 8), 0x872213e7u % 8);
	/* every byte counts, unsigned */
	CHECK(store_shard_of("\xff", 1000) != store_shard_of("\x7f", 1000));
}

static void
test_uids_round_trip(void)
{
	struct store_uids a = { 0 }, b = { 0 };
	struct buf w = BUF_INIT(IPC_MAX_PAYLOAD);
	struct buf_cur c;
	store_uids_add(&a, 9, 12);
	store_uids_add(&a, 1, 3);            /* out of order: normalized */
	store_uids_add(&a, 4, 4);            /* adjacent: merged into 1:4 */
	store_uids_add(&a, 100, STORE_UID_MAX);
	CHECK_EQ(a.n, 3);
	CHECK_EQ(store_uids_put(&w, &a), 0);
	ipc_put_u32(&w, 77);                 /* the field after it */
	buf_cur_init(&c, w.data, w.len);
	CHECK_EQ(store_uids_get(&c, &b, STORE_MAX_RANGES), 0);
	CHECK_EQ(b.n, a.n);
	for (size_t i = 0; i < a.n && i < b.n; i++)
		CHECK(a.r[i].lo == b.r[i].lo && a.r[i].hi == b.r[i].hi);
	uint32_t after = 0;
	CHECK_EQ(ipc_get_u32(&c, &after), 0);
	CHECK_EQ(after, 77);
	CHECK_EQ(ipc_get_end(&c), 0);
	/* the empty set and NULL encode alike */
	buf_reset(&w);
	store_uids_put(&w, NULL);
	buf_cur_init(&c, w.data, w.len);
	CHECK_EQ(store_uids_get(&c, &b, STORE_MAX_RANGES), 0);
	CHECK_EQ(b.n, 0);
	/* pairs in any order on the wire, decoded sorted and merged */
	uint8_t pairs[24] = { 0, 0, 0, 9, 0, 0, 0, 12,   0, 0, 0, 1, 0, 0, 0, 3,
		0, 0, 0, 4, 0, 0, 0, 4 };
	buf_reset(&w);
	ipc_put_bytes(&w, pairs, sizeof(pairs));
	buf_cur_init(&c, w.data, w.len);
	CHECK_EQ(store_uids_get(&c, &b, STORE_MAX_RANGES), 0);
	CHECK_EQ(b.n, 2);
	CHECK(b.r[0].lo == 1 && b.r[0].hi == 4 && b.r[1].lo == 9);
	store_uids_free(&a);
	store_uids_free(&b);
	buf_free(&w);
}

static void
test_uids_malformed(void)
{
	struct store_uids s = { 0 };
	struct buf w = BUF_INIT(IPC_MAX_PAYLOAD);
	struct buf_cur c;
	/* not pairs; reversed; UID 0 */
	uint8_t bad[3][8] = { { 0, 0, 0, 1, 0, 0, 0 }, { 0, 0, 0, 5, 0, 0, 0, 4 },
		{ 0, 0, 0, 0, 0, 0, 0, 4 } };
	size_t lens[3] = { 7, 8, 8 };
	for (int i = 0; i < 3; i++) {
		buf_reset(&w);
		ipc_put_bytes(&w, bad[i], lens[i]);
		buf_cur_init(&c, w.data, w.len);
		CHECK_EQ(store_uids_get(&c, &s, STORE_MAX_RANGES), -1);
		CHECK(c.failed);
	}
	/* more ranges than the caller takes */
	struct store_uids big = { 0 };
	for (uint32_t i = 0; i < 5; i++)
		store_uids_add(&big, 1 + 2 * i, 1 + 2 * i);
	buf_reset(&w);
	store_uids_put(&w, &big);
	buf_cur_init(&c, w.data, w.len);
	CHECK_EQ(store_uids_get(&c, &s, 4), -1);
	buf_cur_init(&c, w.data, w.len);
	CHECK_EQ(store_uids_get(&c, &s, 5), 0);
	/* a string where the set belongs */
	buf_reset(&w);
	ipc_put_str(&w, "12345678");
	buf_cur_init(&c, w.data, w.len);
	CHECK_EQ(store_uids_get(&c, &s, STORE_MAX_RANGES), -1);
	store_uids_free(&big);
	store_uids_free(&s);
	buf_free(&w);
}

/* The pairs alone, as a search program's UID-set operand carries them:
 * the same bytes as the field's, and the same refusals. */
static void
test_uid_pairs(void)
{
	struct store_uids a = { 0 }, b = { 0 };
	struct buf w = BUF_INIT(1024);
	CHECK_EQ(store_uids_add(&a, 9, 12), 0);
	CHECK_EQ(store_uids_add(&a, 1, 3), 0);
	uint8_t pairs[16];
	store_uids_to_pairs(pairs, &a);
	CHECK_EQ(store_uids_put(&w, &a), 0);
	CHECK(memcmp(w.data + w.len - 16, pairs, 16) == 0);
	CHECK_EQ(store_uids_from_pairs(pairs, 16, &b), 0);
	CHECK(b.n == 2 && b.r[0].lo == 1 && b.r[0].hi == 3 && b.r[1].lo == 9 &&
	    b.r[1].hi == 12);
	CHECK_EQ(store_uids_from_pairs(pairs, 15, &b), -1);
	CHECK_EQ(store_uids_from_pairs(pairs, 16, NULL), 0);
	static const uint8_t zero[8] = { 0, 0, 0, 0, 0, 0, 0, 5 };
	static const uint8_t reversed[8] = { 0, 0, 0, 9, 0, 0, 0, 2 };
	CHECK_EQ(store_uids_from_pairs(zero, 8, &b), -1);
	CHECK_EQ(store_uids_from_pairs(reversed, 8, &b), -1);
	store_uids_free(&a);
	store_uids_free(&b);
	buf_free(&w);
}

/* An entry as stored writes it: walking the layout, with recognisable
 * values per field. */
static void
put_entry(struct buf *b, uint32_t uid, uint32_t what)
{
	ipc_put_u32(b, uid);
	for (size_t i = 0; i < SE_COUNT; i++) {
		const struct store_entry_layout *l = &store_entry_layout[i];
		if (!(what & l->what))
			continue;
		if (l->kind == SE_U32)
			ipc_put_u32(b, 1000 + (uint32_t)l->field);
		else if (l->kind == SE_U64)
			ipc_put_u64(b, 1000000 + (uint64_t)l->field);
		else if (l->field == SE_BLOBID)
			ipc_put_bytes(b, "0123456789abcdef0123456789abcdef", 32);
		else
			ipc_put_bytes(b, "text", 4);
	}
}

static void
test_entry(void)
{
	struct buf w = BUF_INIT(IPC_MAX_PAYLOAD);
	struct buf_cur c;
	struct store_msg m;
	/* the layout names every field once, in enum order, each asked by a
	 * known bit */
	for (size_t i = 0; i < SE_COUNT; i++) {
		CHECK_EQ(store_entry_layout[i].field, i);
		CHECK((store_entry_layout[i].what & ~STORE_F_KNOWN) == 0);
		CHECK(store_entry_layout[i].what != 0);
	}
	put_entry(&w, 42, STORE_F_KNOWN);
	buf_cur_init(&c, w.data, w.len);
	CHECK_EQ(store_entry_get(&c, STORE_F_KNOWN, &m), 0);
	CHECK_EQ(ipc_get_end(&c), 0);
	CHECK_EQ(m.uid, 42);
	CHECK_EQ(m.flags, 1000 + SE_FLAGS);
	CHECK_EQ(m.keywords, 1000000 + SE_KEYWORDS);
	CHECK_EQ(m.tzoff, 1000 + SE_TZOFF);
	CHECK_EQ(m.savedate, 1000000 + SE_SAVEDATE);
	CHECK_EQ(m.info, 1000 + SE_INFO);
	CHECK(m.references.n == 4 && memcmp(m.references.p, "text", 4) == 0);
	CHECK(memcmp(m.blobid, "0123456789abcdef", 16) == 0);
	/* fields not asked: zero, texts empty but not NULL */
	buf_reset(&w);
	put_entry(&w, 7, STORE_F_FLAGS);
	buf_cur_init(&c, w.data, w.len);
	CHECK_EQ(store_entry_get(&c, STORE_F_FLAGS, &m), 0);
	CHECK_EQ(ipc_get_end(&c), 0);
	CHECK(m.envelope.p != NULL && m.envelope.n == 0 && m.size == 0);
	/* every truncation refused */
	buf_reset(&w);
	put_entry(&w, 42, STORE_F_KNOWN);
	for (size_t cut = 0; cut < w.len; cut++) {
		buf_cur_init(&c, w.data, cut);
		CHECK_EQ(store_entry_get(&c, STORE_F_KNOWN, &m), -1);
	}
	/* a blob id of the wrong length */
	buf_reset(&w);
	ipc_put_u32(&w, 1);
	ipc_put_u64(&w, 2);
	ipc_put_u64(&w, 3);
	ipc_put_bytes(&w, "short", 5);
	buf_cur_init(&c, w.data, w.len);
	CHECK_EQ(store_entry_get(&c, STORE_F_IDS, &m), -1);
	buf_free(&w);
}

static void
test_meta_round_trip(void)
{
	static struct meta d;
	struct buf w = BUF_INIT(STORE_META_MAX);
	const char *kws[] = { "$Junk", "work" };
	struct store_msg_meta m = {
		.internaldate = 1700000000, .tzoff = -120,
		.flags = STORE_FLAG_SEEN | STORE_FLAG_FLAGGED,
		.keywords = kws, .nkeywords = 2, .sentdate = 1690000000,
		.envelope = "(env)", .subject = "hi", .preview = "pre",
		.info = STORE_INFO_HAS_ATTACHMENT,
		.headers = "subject: hi\n", .headers_len = 12,
		.text = "body", .text_len = 4,
	};
	CHECK_EQ(meta_encode(&w, &m), 0);
	CHECK_EQ(meta_decode(w.data, w.len, &d), 0);
	CHECK_EQ(d.internaldate, 1700000000);
	CHECK_EQ(d.tzoff, -120);
	CHECK_EQ(d.flags, m.flags);
	CHECK_EQ(d.nkw, 2);
	CHECK(d.kw[1].n == 4 && memcmp(d.kw[1].p, "work", 4) == 0);
	CHECK_EQ(d.sentdate, 1690000000);
	CHECK(d.t[MT_ENVELOPE].n == 5 && memcmp(d.t[MT_ENVELOPE].p, "(env)", 5) == 0);
	CHECK(d.t[MT_SUBJECT].n == 2 && d.t[MT_FROM].n == 0);
	CHECK(d.t[MT_PREVIEW].n == 3);
	CHECK_EQ(d.info, STORE_INFO_HAS_ATTACHMENT);
	CHECK_EQ(d.headers.n, 12);
	CHECK(d.text.n == 4 && memcmp(d.text.p, "body", 4) == 0);
	/* malformed: cut anywhere, one byte too many, unknown flag, preview
	 * past its bound, too many keywords */
	for (size_t cut = 0; cut < w.len; cut++)
		CHECK_EQ(meta_decode(w.data, cut, &d), -1);
	buf_append_byte(&w, 0);
	CHECK_EQ(meta_decode(w.data, w.len, &d), -1);
	struct store_msg_meta bad = m;
	bad.flags = 1u << 9;
	buf_reset(&w);
	meta_encode(&w, &bad);
	CHECK_EQ(meta_decode(w.data, w.len, &d), -1);
	char *longp = malloc(STORE_META_PREVIEW_MAX + 2);
	memset(longp, 'p', STORE_META_PREVIEW_MAX + 1);
	longp[STORE_META_PREVIEW_MAX + 1] = '\0';
	bad = m;
	bad.preview = longp;
	buf_reset(&w);
	meta_encode(&w, &bad);
	CHECK_EQ(meta_decode(w.data, w.len, &d), -1);
	free(longp);
	const char *many[STORE_MAX_KEYWORDS + 1];
	for (size_t i = 0; i <= STORE_MAX_KEYWORDS; i++)
		many[i] = "k";
	bad = m;
	bad.keywords = many;
	bad.nkeywords = STORE_MAX_KEYWORDS + 1;
	buf_reset(&w);
	meta_encode(&w, &bad);
	CHECK_EQ(meta_decode(w.data, w.len, &d), -1);
	/* a block past the format's bound does not encode */
	char *huge = malloc(STORE_META_MAX + 1);
	memset(huge, 't', STORE_META_MAX);
	bad = m;
	bad.text = huge;
	bad.text_len = STORE_META_MAX;
	struct buf big = BUF_INIT(2u * STORE_META_MAX);
	CHECK_EQ(meta_encode(&big, &bad), -1);
	buf_free(&big);
	free(huge);
	buf_free(&w);
}

int
main(void)
{
	test_shard();
	test_uids_round_trip();
	test_uids_malformed();
	test_uid_pairs();
	test_entry();
	test_meta_round_trip();
	return check_done("store_proto");
}
