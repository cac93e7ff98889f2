/* shard: stable user -> shard placement (see shard.h). */
#include "shard.h"

#include <string.h>

uint32_t
store_shard_hash(const char *user, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)user[i];
		h *= 16777619u;
	}
	return h;
}

unsigned
store_shard_of(const char *user, unsigned nshards)
{
	if (nshards <= 1)
		return 0;
	return store_shard_hash(user, strlen(user)) % nshards;
}
