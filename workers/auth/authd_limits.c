/* authd_limits: leaky buckets in a fixed table (see authd_limits.h). */
#include "authd_limits.h"
#include "buf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

/* Slots probed for a key: bounds the work per lookup. */
#define LIMIT_PROBES 8

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                           \
	do {                                                               \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);  \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                     \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                     \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);  \
	} while (0)

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

uint64_t
limit_siphash(const uint8_t key[16], const void *data, size_t n)
{
	const uint8_t *p = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	size_t i;
	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t m = le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)n << 56;
	for (size_t j = 0; i + j < n; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

void *
limit_slots_alloc(size_t nslots, size_t slotsize, size_t *n)
{
	*n = 16;
	while (*n < nslots)
		*n <<= 1;
	return calloc(*n, slotsize);
}

void
limit_names(const uint8_t key[32], const void *k, size_t klen, uint64_t *h1,
    uint64_t *h2)
{
	*h1 = limit_siphash(key, k, klen);
	*h2 = limit_siphash(key + 16, k, klen) | 1;   /* never 0: 0 is empty */
}

int
limit_init(struct limit_table *t, size_t nslots, uint64_t max,
    uint64_t window_ms, const uint8_t key[32])
{
	memset(t, 0, sizeof(*t));
	t->slots = limit_slots_alloc(nslots, sizeof(*t->slots), &t->nslots);
	if (t->slots == NULL)
		return -1;
	t->max = max;
	t->window_ms = window_ms ? window_ms : 1;
	memcpy(t->key, key, sizeof(t->key));
	return 0;
}

void
limit_free(struct limit_table *t)
{
	free(t->slots);
	explicit_bzero(t, sizeof(*t));
}

/* Bring a slot's level to now. */
static void
drain(const struct limit_table *t, struct limit_slot *s, uint64_t now_ms)
{
	if (now_ms > s->stamp_ms) {
		uint64_t dt = now_ms - s->stamp_ms;
		uint64_t out = dt > s->level / (t->max ? t->max : 1) ?
		    s->level : dt * t->max;
		s->level -= out;
		s->stamp_ms = now_ms;
	}
}

/* The slot of a key, or (create) a free or evicted one; NULL if absent. */
static struct limit_slot *
find(struct limit_table *t, const void *k, size_t klen, uint64_t now_ms,
    bool create)
{
	uint64_t h1, h2;
	limit_names(t->key, k, klen, &h1, &h2);
	struct limit_slot *victim = NULL;
	uint64_t victim_level = 0;
	for (size_t i = 0; i < LIMIT_PROBES; i++) {
		struct limit_slot *s = &t->slots[(h1 + i) & (t->nslots - 1)];
		if (s->h1 == h1 && s->h2 == h2) {
			drain(t, s, now_ms);
			return s;
		}
		if (s->h2 != 0)
			drain(t, s, now_ms);
		/* empty and drained slots have level 0: taken first */
		if (victim == NULL || s->level < victim_level) {
			victim = s;
			victim_level = s->level;
		}
	}
	if (!create)
		return NULL;
	/* an empty slot, a drained one, or the least loaded of those probed */
	victim->h1 = h1;
	victim->h2 = h2;
	victim->level = 0;
	victim->stamp_ms = now_ms;
	return victim;
}

bool
limit_blocked(struct limit_table *t, const void *k, size_t klen,
    uint64_t now_ms)
{
	if (t->max == 0)
		return false;
	struct limit_slot *s = find(t, k, klen, now_ms, false);
	return s != NULL && s->level > (t->max - 1) * t->window_ms;
}

void
limit_fail(struct limit_table *t, const void *k, size_t klen, uint64_t now_ms)
{
	if (t->max == 0)
		return;
	struct limit_slot *s = find(t, k, klen, now_ms, true);
	/* saturate at one failure past the limit: the bucket drains in time */
	if (s->level <= t->max * t->window_ms)
		s->level += t->window_ms;
}

uint64_t
limit_level(struct limit_table *t, const void *k, size_t klen,
    uint64_t now_ms)
{
	if (t->max == 0)
		return 0;
	struct limit_slot *s = find(t, k, klen, now_ms, false);
	if (s == NULL)
		return 0;
	return (s->level + t->window_ms - 1) / t->window_ms;
}

size_t
limit_addr_key(const struct sockaddr *sa, size_t salen,
    uint8_t key[LIMIT_ADDR_KEY_MAX], char *text, size_t textsize)
{
	char a[INET6_ADDRSTRLEN];
	if (salen >= sizeof(struct sockaddr_in6) && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		const uint8_t *b = s6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			key[0] = 4;
			memcpy(key + 1, b + 12, 4);
			inet_ntop(AF_INET, b + 12, a, sizeof(a));
			buf_snprintf(text, textsize, "%s", a);
			return 5;
		}
		key[0] = 6;
		memcpy(key + 1, b, 8);
		inet_ntop(AF_INET6, b, a, sizeof(a));
		buf_snprintf(text, textsize, "%s", a);
		return 9;
	}
	if (salen >= sizeof(struct sockaddr_in) && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		key[0] = 4;
		memcpy(key + 1, &s4->sin_addr, 4);
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		buf_snprintf(text, textsize, "%s", a);
		return 5;
	}
	if (salen >= sizeof(sa_family_t) && sa->sa_family == AF_UNIX) {
		key[0] = 1;
		buf_snprintf(text, textsize, "local");
		return 1;
	}
	return 0;
}
