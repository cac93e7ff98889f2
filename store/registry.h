/*
 * registry: the small per-shard database of users and quota limits,
 * data/registry-<shard>.db. Usage (bytes, messages) lives in each user's
 * own database, updated in the same transaction as the mail.
 */
#ifndef CLOISTER_STORE_REGISTRY_H
#define CLOISTER_STORE_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

struct user;

/* Open (create) the registry and remove user directories it does not name
 * (a crash during a user's creation or deletion); user_recover_all() then
 * recovers the databases a kill left with a WAL. Fatal on failure. */
void registry_open(unsigned shard, unsigned nshards);
unsigned registry_shard(void);
unsigned registry_nshards(void);
bool registry_user_is_ours(const char *name);

/* Load a user row: 0 found, 1 no such user, -1 error. */
int registry_lookup(const char *name, uint64_t *id, uint64_t *storage_limit,
    uint64_t *messages_limit);
/* Insert a user; its id in *id. -IPC_ERR_EXISTS if the name is taken. */
int registry_insert(const char *name, uint64_t *id);
int registry_delete(uint64_t id);
int registry_set_quota(uint64_t id, uint64_t storage, uint64_t messages);
/* Every user, by name. */
int registry_list(int (*fn)(void *arg, const char *name, uint64_t id,
    uint64_t storage_limit, uint64_t messages_limit), void *arg);
uint64_t registry_count(void);
/* The open registry, for the tables kept beside the users (outbox.c,
 * snooze_due.c). */
sqlite3 *registry_db(void);
/* Checkpoint (TRUNCATE) for a freeze. */
int registry_checkpoint(void);

#endif
