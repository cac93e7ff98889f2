/*
 * authd_backoff: growing delays per (user, client address) after failed
 * logins, in a table of fixed size.
 *
 * After n >= 2 failures of one key, the next attempt is allowed only
 * initial x 2^(n-2) ms after the last failure, up to max: a typo costs
 * nothing, a guesser from one address gets a handful of tries an hour. A
 * key is forgotten once `forget` ms have passed since its delay ran out,
 * or when it logs in. Keys are never stored: as in authd_limits.h, an
 * entry is named by two keyed SipHash values, so memory is fixed whatever
 * names an attacker sends. When the probed slots are full, a forgotten
 * entry is reused first, then the one with the fewest failures.
 */
#ifndef CLOISTER_AUTHD_BACKOFF_H
#define CLOISTER_AUTHD_BACKOFF_H

#include <stddef.h>
#include <stdint.h>

struct backoff_slot {
	uint64_t h1, h2;      /* identity; h2 == 0: empty */
	uint64_t last_ms;     /* the last failure */
	uint32_t fails;
};

struct backoff_table {
	struct backoff_slot *slots;
	size_t nslots;        /* a power of two */
	uint64_t initial_ms;  /* 0: no delays at all */
	uint64_t max_ms;
	uint64_t forget_ms;
	uint8_t key[32];      /* two SipHash keys */
};

/* 0, or -1 if out of memory. nslots is rounded up to a power of two. */
int backoff_init(struct backoff_table *t, size_t nslots, uint64_t initial_ms,
    uint64_t max_ms, uint64_t forget_ms, const uint8_t key[32]);
void backoff_free(struct backoff_table *t);
/* Milliseconds this key must still wait before an attempt; 0: go. */
uint64_t backoff_wait(struct backoff_table *t, const void *k, size_t klen,
    uint64_t now_ms);
/* Failures remembered for this key. */
uint32_t backoff_failures(struct backoff_table *t, const void *k, size_t klen,
    uint64_t now_ms);
/* Count one failure. */
void backoff_fail(struct backoff_table *t, const void *k, size_t klen,
    uint64_t now_ms);
/* Forget the key (it logged in). */
void backoff_clear(struct backoff_table *t, const void *k, size_t klen);

#endif
