/* wire: compound fields of the store protocol (see wire.h). */
#include "wire.h"
#include "ipc.h"
#include "store_client.h"

#include <stdlib.h>
#include <string.h>

void
uidset_clear(struct uidset *s)
{
	s->n = 0;
}

void
uidset_free(struct uidset *s)
{
	free(s->r);
	memset(s, 0, sizeof(*s));
}

static int
cmp_range(const void *a, const void *b)
{
	const struct uidrange *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void
normalize(struct uidset *s)
{
	if (s->n < 2)
		return;
	qsort(s->r, s->n, sizeof(s->r[0]), cmp_range);
	size_t w = 0;
	for (size_t i = 1; i < s->n; i++) {
		struct uidrange *a = &s->r[w];
		if (a->hi == UINT32_MAX || s->r[i].lo <= a->hi + 1) {
			if (s->r[i].hi > a->hi)
				a->hi = s->r[i].hi;
		} else {
			s->r[++w] = s->r[i];
		}
	}
	s->n = w + 1;
}

/* Appends; callers that add out of order call normalize() (via get). */
static int
push(struct uidset *s, uint32_t lo, uint32_t hi)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct uidrange *nr = realloc(s->r, ncap * sizeof(*nr));
		if (nr == NULL)
			return -1;
		s->r = nr;
		s->cap = ncap;
	}
	s->r[s->n++] = (struct uidrange){ lo, hi };
	return 0;
}

int
uidset_add(struct uidset *s, uint32_t lo, uint32_t hi)
{
	if (lo == 0 || lo > hi)
		return -1;
	if (s->n > 0) {
		struct uidrange *last = &s->r[s->n - 1];
		if (lo >= last->lo && (last->hi == UINT32_MAX || lo <= last->hi + 1)) {
			if (hi > last->hi)
				last->hi = hi;
			return 0;
		}
		if (lo > last->hi)
			return push(s, lo, hi);
		if (push(s, lo, hi) < 0)
			return -1;
		normalize(s);
		return 0;
	}
	return push(s, lo, hi);
}

bool
uidset_has(const struct uidset *s, uint32_t uid)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (uid < s->r[mid].lo)
			hi = mid;
		else if (uid > s->r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

int
wire_get_uidset(struct buf_cur *c, struct uidset *s)
{
	const uint8_t *p;
	size_t n;
	uidset_clear(s);
	if (ipc_get_bytes(c, &p, &n, WIRE_MAX_RANGES * 8) < 0)
		return -1;
	if (n % 8 != 0) {
		c->failed = true;
		return -1;
	}
	struct buf_cur pc;
	buf_cur_init(&pc, p, n);
	for (size_t i = 0; i < n / 8; i++) {
		uint32_t lo, hi;
		buf_get_u32(&pc, &lo);
		buf_get_u32(&pc, &hi);
		if (lo == 0 || lo > hi || push(s, lo, hi) < 0) {
			c->failed = true;
			return -1;
		}
	}
	normalize(s);
	return 0;
}

int
wire_put_uidset(struct buf *b, const struct uidset *s)
{
	static struct buf packed = BUF_INIT(16 * 1024 * 1024);
	buf_reset(&packed);
	for (size_t i = 0; i < s->n; i++) {
		buf_put_u32(&packed, s->r[i].lo);
		buf_put_u32(&packed, s->r[i].hi);
	}
	if (packed.failed) {
		b->failed = true;
		return -1;
	}
	return ipc_put_bytes(b, packed.len ? packed.data : (const uint8_t *)"",
	    packed.len);
}

int
wire_get_mbox_ref(struct buf_cur *c, uint64_t *id, const char **name,
    size_t *len)
{
	if (ipc_get_u64(c, id) < 0 ||
	    ipc_get_strp(c, name, len, STORE_MBOX_NAME_MAX) < 0)
		return -1;
	if ((*id != 0) == (*len != 0)) {
		c->failed = true;
		return -1;
	}
	return 0;
}
