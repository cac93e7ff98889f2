/*
 * shard: which stored process serves a user. A stable hash of the user
 * name (FNV-1a, 32 bits) modulo the shard count; shared by the client
 * library (workers pick CLOISTER_FD_STORE(shard)) and stored (which
 * refuses users of other shards).
 */
#ifndef CLOISTER_STORE_SHARD_H
#define CLOISTER_STORE_SHARD_H

#include <stddef.h>
#include <stdint.h>

uint32_t store_shard_hash(const char *user, size_t len);
unsigned store_shard_of(const char *user, unsigned nshards);

#endif
