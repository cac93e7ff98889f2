/*
 * authd_limits: failure counting for the per-user and per-address rate
 * limits, as leaky buckets in a table of fixed size.
 *
 * A bucket holds at most `max` failures and drains at max/window: after
 * `max` failures in a burst, one more attempt is allowed every window/max.
 * Keys are never stored: an entry is named by two keyed SipHash-2-4 values
 * (128 bits; the keys are random per process), so the table's memory is
 * fixed whatever names an attacker sends, and its slots cannot be aimed
 * at. When the probed slots are full, the entry with the lowest level is
 * evicted (a blocked key survives a flood of single failures).
 */
#ifndef CLOISTER_AUTHD_LIMITS_H
#define CLOISTER_AUTHD_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct limit_slot {
	uint64_t h1, h2;      /* identity; h1 == h2 == 0: empty */
	uint64_t level;       /* failures x window_ms, drained by max per ms */
	uint64_t stamp_ms;    /* when level was last brought up to date */
};

struct limit_table {
	struct limit_slot *slots;
	size_t nslots;        /* a power of two */
	uint64_t max;         /* failures allowed per window; 0 = no limit */
	uint64_t window_ms;
	uint8_t key[32];      /* two SipHash keys */
};

/* 0, or -1 if out of memory. nslots is rounded up to a power of two. */
int limit_init(struct limit_table *t, size_t nslots, uint64_t max,
    uint64_t window_ms, const uint8_t key[32]);
void limit_free(struct limit_table *t);
/* Would an attempt for this key be refused now? */
bool limit_blocked(struct limit_table *t, const void *k, size_t klen,
    uint64_t now_ms);
/* Count one failure for this key. */
void limit_fail(struct limit_table *t, const void *k, size_t klen,
    uint64_t now_ms);
/* Failures currently in the bucket (rounded up), for logs and tests. */
uint64_t limit_level(struct limit_table *t, const void *k, size_t klen,
    uint64_t now_ms);

/* For tables of this kind (authd_backoff.h too): a key's two names
 * under the table's 32-byte key (h2 is never 0, which marks an empty
 * slot), and a zeroed array of *n slots, nslots rounded up to a power of
 * two (at least 16). */
void limit_names(const uint8_t key[32], const void *k, size_t klen,
    uint64_t *h1, uint64_t *h2);
void *limit_slots_alloc(size_t nslots, size_t slotsize, size_t *n);

/* SipHash-2-4 of p under a 16-byte key. */
uint64_t limit_siphash(const uint8_t key[16], const void *p, size_t n);

/* The rate-limit key of a client address: IPv4 by address, IPv6 by /64
 * (an attacker owns a whole /64), an IPv4-mapped IPv6 address as IPv4,
 * AF_UNIX as one "local" key. Also a printable form for logs. Returns the
 * key length, or 0 for an address it does not understand. */
#define LIMIT_ADDR_KEY_MAX 9
#define LIMIT_ADDR_TEXT_MAX 64
size_t limit_addr_key(const struct sockaddr *sa, size_t salen,
    uint8_t key[LIMIT_ADDR_KEY_MAX], char *text, size_t textsize);

#endif
