/* authd_backoff: doubling delays per key (see authd_backoff.h). */
#include "authd_backoff.h"
#include "authd_limits.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Slots probed for a key: bounds the work per lookup. */
#define BACKOFF_PROBES 8

int
backoff_init(struct backoff_table *t, size_t nslots, uint64_t initial_ms,
    uint64_t max_ms, uint64_t forget_ms, const uint8_t key[32])
{
	memset(t, 0, sizeof(*t));
	t->slots = limit_slots_alloc(nslots, sizeof(*t->slots), &t->nslots);
	if (t->slots == NULL)
		return -1;
	t->initial_ms = initial_ms;
	t->max_ms = max_ms > initial_ms ? max_ms : initial_ms;
	t->forget_ms = forget_ms;
	memcpy(t->key, key, sizeof(t->key));
	return 0;
}

void
backoff_free(struct backoff_table *t)
{
	free(t->slots);
	explicit_bzero(t, sizeof(*t));
}

/* The delay after n failures: none after the first (a typo already
 * waits out failure-delay-ms), then initial, doubling. */
static uint64_t
delay(const struct backoff_table *t, uint32_t n)
{
	if (n <= 1)
		return 0;
	uint64_t d = t->initial_ms;
	for (uint32_t i = 2; i < n && d < t->max_ms; i++)
		d *= 2;
	return d < t->max_ms ? d : t->max_ms;
}

/* Past its delay and the forget time after it: as good as empty. */
static bool
forgotten(const struct backoff_table *t, const struct backoff_slot *s,
    uint64_t now_ms)
{
	return s->h2 == 0 ||
	    now_ms >= s->last_ms + delay(t, s->fails) + t->forget_ms;
}

/* The slot of a key, or (create) a reusable one; NULL if absent. */
static struct backoff_slot *
find(struct backoff_table *t, const void *k, size_t klen, uint64_t now_ms,
    bool create)
{
	uint64_t h1, h2;
	limit_names(t->key, k, klen, &h1, &h2);
	struct backoff_slot *victim = NULL;
	for (size_t i = 0; i < BACKOFF_PROBES; i++) {
		struct backoff_slot *s = &t->slots[(h1 + i) & (t->nslots - 1)];
		if (s->h1 == h1 && s->h2 == h2) {
			if (forgotten(t, s, now_ms))
				s->fails = 0;
			return s;
		}
		/* reused: a forgotten slot first, else the fewest failures */
		if (victim == NULL || forgotten(t, victim, now_ms))
			victim = victim == NULL ? s : victim;
		else if (forgotten(t, s, now_ms) || s->fails < victim->fails)
			victim = s;
	}
	if (!create)
		return NULL;
	victim->h1 = h1;
	victim->h2 = h2;
	victim->fails = 0;
	victim->last_ms = now_ms;
	return victim;
}

/* A key's slot if it has failures (and delays are on), else NULL. */
static struct backoff_slot *
failing(struct backoff_table *t, const void *k, size_t klen, uint64_t now_ms)
{
	struct backoff_slot *s = t->initial_ms == 0 ? NULL :
	    find(t, k, klen, now_ms, false);
	return s != NULL && s->fails > 0 ? s : NULL;
}

uint64_t
backoff_wait(struct backoff_table *t, const void *k, size_t klen,
    uint64_t now_ms)
{
	struct backoff_slot *s = failing(t, k, klen, now_ms);
	uint64_t until = s != NULL ? s->last_ms + delay(t, s->fails) : 0;
	return until > now_ms ? until - now_ms : 0;
}

uint32_t
backoff_failures(struct backoff_table *t, const void *k, size_t klen,
    uint64_t now_ms)
{
	struct backoff_slot *s = failing(t, k, klen, now_ms);
	return s != NULL ? s->fails : 0;
}

void
backoff_fail(struct backoff_table *t, const void *k, size_t klen,
    uint64_t now_ms)
{
	if (t->initial_ms == 0)
		return;
	struct backoff_slot *s = find(t, k, klen, now_ms, true);
	if (s->fails < UINT32_MAX)
		s->fails++;
	s->last_ms = now_ms;
}

void
backoff_clear(struct backoff_table *t, const void *k, size_t klen)
{
	if (t->initial_ms == 0)
		return;
	struct backoff_slot *s = find(t, k, klen, 0, false);
	if (s != NULL)
		memset(s, 0, sizeof(*s));
}
