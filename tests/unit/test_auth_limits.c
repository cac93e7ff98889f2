/* Unit tests for workers/auth/authd_limits and authd_backoff: SipHash
 * vectors, the leaky bucket's arithmetic (block at max, one more per
 * window/max), eviction in a full table, the address keys (IPv6 by /64,
 * v4-mapped as IPv4), and the doubling delays per (user, address). */
#include "check.h"
#include "authd_backoff.h"
#include "authd_limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

static void
test_siphash(void)
{
	/* reference vectors of the SipHash paper: key 00..0f, msg 00..n-1 */
	uint8_t key[16], msg[64];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	CHECK(limit_siphash(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
	CHECK(limit_siphash(key, msg, 1) == 0x74f839c593dc67fdULL);
	CHECK(limit_siphash(key, msg, 15) == 0xa129ca6149be45e5ULL);
	CHECK(limit_siphash(key, msg, 8) == 0x93f5f5799a932462ULL);
}

static void
test_bucket(void)
{
	uint8_t k[32] = { 1, 2, 3 };
	struct limit_table t;
	/* 3 failures per 60 s: one more every 20 s once full */
	CHECK_EQ(limit_init(&t, 100, 3, 60000, k), 0);
	uint64_t now = 1000000;
	CHECK(!limit_blocked(&t, "alice", 5, now));
	limit_fail(&t, "alice", 5, now);
	limit_fail(&t, "alice", 5, now);
	CHECK(!limit_blocked(&t, "alice", 5, now));
	CHECK_EQ(limit_level(&t, "alice", 5, now), 2);
	limit_fail(&t, "alice", 5, now);
	CHECK(limit_blocked(&t, "alice", 5, now));
	CHECK(!limit_blocked(&t, "bob", 3, now));
	CHECK(limit_blocked(&t, "alice", 5, now + 19999));
	CHECK(!limit_blocked(&t, "alice", 5, now + 20000));
	limit_fail(&t, "alice", 5, now + 20000);
	CHECK(limit_blocked(&t, "alice", 5, now + 20001));
	/* a burst past the limit saturates one failure past it: blocked for
	 * two drain periods (2 x 20 s), not for as long as the burst was big */
	for (int i = 0; i < 100; i++)
		limit_fail(&t, "alice", 5, now + 20000);
	CHECK(limit_blocked(&t, "alice", 5, now + 20000 + 39999));
	CHECK(!limit_blocked(&t, "alice", 5, now + 20000 + 40000));
	CHECK_EQ(limit_level(&t, "alice", 5, now + 20000 + 200000), 0);
	limit_free(&t);

	/* max 0: no limit at all */
	CHECK_EQ(limit_init(&t, 16, 0, 1000, k), 0);
	for (int i = 0; i < 50; i++)
		limit_fail(&t, "x", 1, now);
	CHECK(!limit_blocked(&t, "x", 1, now));
	limit_free(&t);
}

static void
test_full_table(void)
{
	uint8_t k[32] = { 9 };
	struct limit_table t;
	CHECK_EQ(limit_init(&t, 16, 2, 1000000, k), 0);
	uint64_t now = 5;
	/* a blocked key survives a flood of single failures of other keys */
	limit_fail(&t, "victim", 6, now);
	limit_fail(&t, "victim", 6, now);
	limit_fail(&t, "victim", 6, now);
	CHECK(limit_blocked(&t, "victim", 6, now));
	char name[16];
	for (int i = 0; i < 10000; i++) {
		int n = snprintf(name, sizeof(name), "u%d", i);
		limit_fail(&t, name, (size_t)n, now);
	}
	CHECK(limit_blocked(&t, "victim", 6, now));
	CHECK_EQ(t.nslots, 16);
	limit_free(&t);
}

static void
test_addr_keys(void)
{
	uint8_t k1[LIMIT_ADDR_KEY_MAX], k2[LIMIT_ADDR_KEY_MAX];
	char text[LIMIT_ADDR_TEXT_MAX];
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	inet_pton(AF_INET, "192.0.2.7", &s4.sin_addr);
	CHECK_EQ(limit_addr_key((struct sockaddr *)&s4, sizeof(s4), k1, text,
	    sizeof(text)), 5);
	CHECK(strcmp(text, "192.0.2.7") == 0);
	/* the same address as v4-mapped IPv6: the same key */
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &s6.sin6_addr);
	CHECK_EQ(limit_addr_key((struct sockaddr *)&s6, sizeof(s6), k2, text,
	    sizeof(text)), 5);
	CHECK(memcmp(k1, k2, 5) == 0);
	/* two addresses in one /64: one key; another /64: another key */
	inet_pton(AF_INET6, "2001:db8:1:2::1", &s6.sin6_addr);
	CHECK_EQ(limit_addr_key((struct sockaddr *)&s6, sizeof(s6), k1, text,
	    sizeof(text)), 9);
	CHECK(strcmp(text, "2001:db8:1:2::1") == 0);
	inet_pton(AF_INET6, "2001:db8:1:2:ffff::9", &s6.sin6_addr);
	limit_addr_key((struct sockaddr *)&s6, sizeof(s6), k2, text, sizeof(text));
	CHECK(memcmp(k1, k2, 9) == 0);
	inet_pton(AF_INET6, "2001:db8:1:3::1", &s6.sin6_addr);
	limit_addr_key((struct sockaddr *)&s6, sizeof(s6), k2, text, sizeof(text));
	CHECK(memcmp(k1, k2, 9) != 0);
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	CHECK_EQ(limit_addr_key((struct sockaddr *)&su, sizeof(su), k1, text,
	    sizeof(text)), 1);
	CHECK(strcmp(text, "local") == 0);
	/* too short for its family, or unknown family: no key */
	CHECK_EQ(limit_addr_key((struct sockaddr *)&s4, 8, k1, text,
	    sizeof(text)), 0);
	s4.sin_family = AF_APPLETALK;
	CHECK_EQ(limit_addr_key((struct sockaddr *)&s4, sizeof(s4), k1, text,
	    sizeof(text)), 0);
}

static void
test_backoff(void)
{
	uint8_t k[32] = { 7 };
	struct backoff_table t;
	/* 1 s, doubling, at most 8 s; forgotten 60 s after the delay */
	CHECK_EQ(backoff_init(&t, 100, 1000, 8000, 60000, k), 0);
	uint64_t now = 1000000;
	const char *a2 = "\x05\x04\x7f\x00\x00\x02" "alice";
	const char *a3 = "\x05\x04\x7f\x00\x00\x03" "alice";
	CHECK_EQ(backoff_wait(&t, a2, 11, now), 0);
	/* one failure (a typo): no wait; then 1, 2, 4, 8, 8 s */
	backoff_fail(&t, a2, 11, now);
	CHECK_EQ(backoff_wait(&t, a2, 11, now), 0);
	uint64_t want[] = { 1000, 2000, 4000, 8000, 8000 };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		backoff_fail(&t, a2, 11, now);
		CHECK_EQ(backoff_wait(&t, a2, 11, now), want[i]);
		CHECK_EQ(backoff_wait(&t, a2, 11, now + want[i] - 1), 1);
		CHECK_EQ(backoff_wait(&t, a2, 11, now + want[i]), 0);
		now += want[i];
	}
	CHECK_EQ(backoff_failures(&t, a2, 11, now), 6);
	/* the same user from another address: nothing to wait */
	CHECK_EQ(backoff_wait(&t, a3, 11, now), 0);
	CHECK_EQ(backoff_failures(&t, a3, 11, now), 0);
	/* a hundred failures: still the cap, not more */
	for (int i = 0; i < 100; i++)
		backoff_fail(&t, a2, 11, now);
	CHECK_EQ(backoff_wait(&t, a2, 11, now), 8000);
	/* forgotten after the delay and the forget time */
	CHECK(backoff_failures(&t, a2, 11, now + 8000 + 59999) > 0);
	CHECK_EQ(backoff_failures(&t, a2, 11, now + 8000 + 60000), 0);
	backoff_fail(&t, a2, 11, now + 68000);
	backoff_fail(&t, a2, 11, now + 68000);
	CHECK_EQ(backoff_wait(&t, a2, 11, now + 68000), 1000);
	/* a login clears it */
	backoff_clear(&t, a2, 11);
	CHECK_EQ(backoff_wait(&t, a2, 11, now + 68000), 0);
	backoff_free(&t);

	/* a full table stays its size; a key with many failures survives a
	 * flood of keys with one */
	CHECK_EQ(backoff_init(&t, 16, 1000, 3600000, 3600000, k), 0);
	for (int i = 0; i < 10; i++)
		backoff_fail(&t, "victim", 6, now);
	char name[16];
	for (int i = 0; i < 10000; i++) {
		int n = snprintf(name, sizeof(name), "u%d", i);
		backoff_fail(&t, name, (size_t)n, now);
	}
	CHECK_EQ(backoff_failures(&t, "victim", 6, now), 10);
	CHECK_EQ(t.nslots, 16);
	backoff_free(&t);

	/* 0: off */
	CHECK_EQ(backoff_init(&t, 16, 0, 1000, 1000, k), 0);
	backoff_fail(&t, "x", 1, now);
	backoff_fail(&t, "x", 1, now);
	CHECK_EQ(backoff_wait(&t, "x", 1, now), 0);
	backoff_free(&t);
}

int
main(void)
{
	test_backoff();
	test_siphash();
	test_bucket();
	test_full_table();
	test_addr_keys();
	return check_done("authd_limits");
}
