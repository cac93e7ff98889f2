/* store_proto: shards, UID sets and message entries (see store_proto.h). */
#include "store_proto.h"
#include "ipc.h"

#include <stdlib.h>
#include <string.h>

unsigned
store_shard_of(const char *user, unsigned nshards)
{
	if (nshards <= 1)
		return 0;
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)user; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h % nshards;
}

/* ---- UID sets ----------------------------------------------------------- */

const struct store_uids store_uids_all = {
	(struct store_range *)&(const struct store_range){ 1, STORE_UID_MAX },
	1, 1,
};

static int
cmp_range(const void *a, const void *b)
{
	const struct store_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort and merge overlapping or adjacent ranges. */
static void
normalize(struct store_uids *u)
{
	if (u->n < 2)
		return;
	qsort(u->r, u->n, sizeof(u->r[0]), cmp_range);
	size_t w = 0;
	for (size_t i = 1; i < u->n; i++) {
		struct store_range *a = &u->r[w];
		if (a->hi == STORE_UID_MAX || u->r[i].lo <= a->hi + 1) {
			if (u->r[i].hi > a->hi)
				a->hi = u->r[i].hi;
		} else {
			u->r[++w] = u->r[i];
		}
	}
	u->n = w + 1;
}

static int
push(struct store_uids *u, uint32_t lo, uint32_t hi)
{
	if (u->n == u->cap) {
		size_t ncap = u->cap ? u->cap * 2 : 8;
		struct store_range *nr = realloc(u->r, ncap * sizeof(*nr));
		if (nr == NULL)
			return -1;
		u->r = nr;
		u->cap = ncap;
	}
	u->r[u->n++] = (struct store_range){ lo, hi };
	return 0;
}

int
store_uids_add(struct store_uids *u, uint32_t lo, uint32_t hi)
{
	if (lo == 0 || lo > hi)
		return -1;
	if (u->n == 0)
		return push(u, lo, hi);
	/* fast path: ascending adds extend or follow the last range */
	struct store_range *last = &u->r[u->n - 1];
	if (lo >= last->lo && (last->hi == STORE_UID_MAX || lo <= last->hi + 1)) {
		if (hi > last->hi)
			last->hi = hi;
		return 0;
	}
	if (lo > last->hi)
		return push(u, lo, hi);
	if (push(u, lo, hi) < 0)
		return -1;
	normalize(u);
	return 0;
}

bool
store_uids_has(const struct store_uids *u, uint32_t uid)
{
	size_t lo = 0, hi = u->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (uid < u->r[mid].lo)
			hi = mid;
		else if (uid > u->r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

uint64_t
store_uids_count(const struct store_uids *u)
{
	uint64_t n = 0;
	for (size_t i = 0; i < u->n; i++)
		n += (uint64_t)u->r[i].hi - u->r[i].lo + 1;
	return n;
}

void
store_uids_clear(struct store_uids *u)
{
	u->n = 0;
}

void
store_uids_free(struct store_uids *u)
{
	free(u->r);
	memset(u, 0, sizeof(*u));
}

_Static_assert(sizeof(struct store_range) == 8, "a range is two u32");

void
store_uids_to_pairs(uint8_t *dst, const struct store_uids *u)
{
	for (size_t i = 0; i < u->n; i++, dst += 8) {
		uint32_t v[2] = { u->r[i].lo, u->r[i].hi };
		for (int k = 0; k < 2; k++) {
			dst[4 * k] = (uint8_t)(v[k] >> 24);
			dst[4 * k + 1] = (uint8_t)(v[k] >> 16);
			dst[4 * k + 2] = (uint8_t)(v[k] >> 8);
			dst[4 * k + 3] = (uint8_t)v[k];
		}
	}
}

int
store_uids_from_pairs(const uint8_t *p, size_t n, struct store_uids *u)
{
	if (u != NULL)
		store_uids_clear(u);
	if (n % 8 != 0)
		return -1;
	struct buf_cur pc;
	buf_cur_init(&pc, p, n);
	for (size_t i = 0; i < n / 8; i++) {
		uint32_t lo, hi;
		buf_get_u32(&pc, &lo);
		buf_get_u32(&pc, &hi);
		/* all pushed, then sorted once: the pairs come in any order */
		if (lo == 0 || lo > hi || (u != NULL && push(u, lo, hi) < 0))
			return -1;
	}
	if (u != NULL)
		normalize(u);
	return 0;
}

int
store_uids_put(struct buf *b, const struct store_uids *u)
{
	size_t n = u != NULL ? u->n : 0;
	/* the field is sized with the host-order ranges, then overwritten
	 * with the pairs: its bytes are the last ones the codec wrote */
	if (ipc_put_bytes(b, n > 0 ? (const void *)u->r : "", n * 8) < 0)
		return -1;
	if (n > 0)
		store_uids_to_pairs(b->data + b->len - n * 8, u);
	return 0;
}

int
store_uids_get(struct buf_cur *c, struct store_uids *u, size_t max_ranges)
{
	const uint8_t *p;
	size_t n;
	if (u != NULL)
		store_uids_clear(u);
	if (ipc_get_bytes(c, &p, &n, max_ranges * 8) < 0)
		return -1;
	if (store_uids_from_pairs(p, n, u) < 0) {
		c->failed = true;
		return -1;
	}
	return 0;
}

/* ---- message entries ------------------------------------------------------- */

const struct store_entry_layout store_entry_layout[SE_COUNT] = {
	{ STORE_F_FLAGS, SE_FLAGS, SE_U32, 0 },
	{ STORE_F_FLAGS, SE_KEYWORDS, SE_U64, 0 },
	{ STORE_F_FLAGS, SE_MODSEQ, SE_U64, 0 },
	{ STORE_F_INTERNALDATE, SE_INTERNALDATE, SE_U64, 0 },
	{ STORE_F_INTERNALDATE, SE_TZOFF, SE_U32, 0 },
	{ STORE_F_SIZE, SE_SIZE, SE_U64, 0 },
	{ STORE_F_ENVELOPE, SE_ENVELOPE, SE_BYTES, STORE_ENTRY_MAX },
	{ STORE_F_BODYSTRUCTURE, SE_BODYSTRUCTURE, SE_BYTES, STORE_ENTRY_MAX },
	{ STORE_F_BODY, SE_BODY, SE_BYTES, STORE_ENTRY_MAX },
	{ STORE_F_IDS, SE_EMAILID, SE_U64, 0 },
	{ STORE_F_IDS, SE_THREADID, SE_U64, 0 },
	{ STORE_F_IDS, SE_BLOBID, SE_BYTES, STORE_BLOBID_LEN },
	{ STORE_F_SENTDATE, SE_SENTDATE, SE_U64, 0 },
	{ STORE_F_ADDRS, SE_FROM, SE_BYTES, STORE_ENTRY_MAX },
	{ STORE_F_ADDRS, SE_TO, SE_BYTES, STORE_ENTRY_MAX },
	{ STORE_F_ADDRS, SE_CC, SE_BYTES, STORE_ENTRY_MAX },
	{ STORE_F_ADDRS, SE_BCC, SE_BYTES, STORE_ENTRY_MAX },
	{ STORE_F_ADDRS, SE_SUBJECT, SE_BYTES, STORE_ENTRY_MAX },
	{ STORE_F_ADDRS, SE_MESSAGE_ID, SE_BYTES, STORE_ENTRY_MAX },
	{ STORE_F_ADDRS, SE_IN_REPLY_TO, SE_BYTES, STORE_ENTRY_MAX },
	{ STORE_F_ADDRS, SE_REFERENCES, SE_BYTES, STORE_ENTRY_MAX },
	{ STORE_F_PREVIEW, SE_PREVIEW, SE_BYTES, STORE_ENTRY_MAX },
	{ STORE_F_PREVIEW, SE_INFO, SE_U32, 0 },
	{ STORE_F_SAVEDATE, SE_SAVEDATE, SE_U64, 0 },
};

/* Where a decoded field goes in struct store_msg (by kind). */
static void *
slot(struct store_msg *m, enum store_entry_field f)
{
	switch (f) {
	case SE_FLAGS: return &m->flags;
	case SE_KEYWORDS: return &m->keywords;
	case SE_MODSEQ: return &m->modseq;
	case SE_INTERNALDATE: return &m->internaldate;
	case SE_TZOFF: return &m->tzoff;
	case SE_SIZE: return &m->size;
	case SE_ENVELOPE: return &m->envelope;
	case SE_BODYSTRUCTURE: return &m->bodystructure;
	case SE_BODY: return &m->body;
	case SE_EMAILID: return &m->emailid;
	case SE_THREADID: return &m->threadid;
	case SE_BLOBID: return m->blobid;
	case SE_SENTDATE: return &m->sentdate;
	case SE_FROM: return &m->from;
	case SE_TO: return &m->to;
	case SE_CC: return &m->cc;
	case SE_BCC: return &m->bcc;
	case SE_SUBJECT: return &m->subject;
	case SE_MESSAGE_ID: return &m->message_id;
	case SE_IN_REPLY_TO: return &m->in_reply_to;
	case SE_REFERENCES: return &m->references;
	case SE_PREVIEW: return &m->preview;
	case SE_INFO: return &m->info;
	case SE_SAVEDATE: return &m->savedate;
	case SE_COUNT: break;
	}
	return NULL;
}

static int
get_field(struct buf_cur *c, const struct store_entry_layout *l, void *dst)
{
	const uint8_t *p;
	size_t n;
	switch (l->kind) {
	case SE_U32:
		return ipc_get_u32(c, dst);
	case SE_U64:
		return ipc_get_u64(c, dst);
	case SE_BYTES:
		if (ipc_get_bytes(c, &p, &n, l->max) < 0)
			return -1;
		if (l->field == SE_BLOBID) {
			if (n != STORE_BLOBID_LEN) {
				c->failed = true;
				return -1;
			}
			memcpy(dst, p, n);
		} else {
			*(struct store_text *)dst = (struct store_text){
				(const char *)p, n };
		}
		return 0;
	}
	return -1;
}

int
store_entry_get(struct buf_cur *c, uint32_t what, struct store_msg *m)
{
	memset(m, 0, sizeof(*m));
	/* texts not asked for are empty, never NULL */
	struct store_text *texts[] = { &m->envelope, &m->bodystructure,
		&m->body, &m->preview, &m->from, &m->to, &m->cc, &m->bcc,
		&m->subject, &m->message_id, &m->in_reply_to, &m->references };
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		texts[i]->p = "";
	ipc_get_u32(c, &m->uid);
	for (size_t i = 0; i < SE_COUNT && !c->failed; i++) {
		const struct store_entry_layout *l = &store_entry_layout[i];
		if (what & l->what)
			get_field(c, l, slot(m, l->field));
	}
	return c->failed ? -1 : 0;
}

/* One UTF-8 sequence at p (n bytes left): its length and code point, or 0
 * if it is not the shortest form of a scalar value. */
static size_t
utf8_one(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char b = p[0];
	size_t len = b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 :
	    (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 0;
	static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (len == 0 || len > n)
		return 0;
	uint32_t v = len == 1 ? b : b & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < least[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

bool
store_sieve_name_valid(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	if (n == 0 || n > STORE_SIEVE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_one(s + i, n - i, &cp);
		if (len == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    cp == 0x2028 || cp == 0x2029 || cp == '/')
			return false;
		i += len;
	}
	return true;
}
