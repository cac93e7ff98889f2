/* user: the shard's users cached in memory (see user.h). */
#include "user.h"
#include "buf.h"
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096

static struct user *table[BUCKETS];

static unsigned
bucket(const char *name)
{
	uint32_t h = 2166136261u;
	for (const char *p = name; *p != '\0'; p++) {
		h ^= (uint8_t)*p;
		h *= 16777619u;
	}
	return h % BUCKETS;
}

struct user *
user_get(const char *name, bool *other_shard)
{
	*other_shard = false;
	if (!registry_user_is_ours(name)) {
		*other_shard = true;
		return NULL;
	}
	unsigned b = bucket(name);
	for (struct user *u = table[b]; u != NULL; u = u->hnext)
		if (strcmp(u->name, name) == 0)
			return u;
	uint64_t id, sl, ml;
	if (registry_lookup(name, &id, &sl, &ml) != 0)
		return NULL;
	struct user *u = calloc(1, sizeof(*u));
	if (u == NULL)
		return NULL;
	if (buf_strlcpy(u->name, sizeof(u->name), name, strlen(name)) < 0) {
		free(u);
		return NULL;
	}
	u->id = id;
	u->storage_limit = sl;
	u->messages_limit = ml;
	u->hnext = table[b];
	table[b] = u;
	return u;
}

static void
unhash(struct user *u)
{
	struct user **pp = &table[bucket(u->name)];
	while (*pp != NULL && *pp != u)
		pp = &(*pp)->hnext;
	if (*pp == u)
		*pp = u->hnext;
	u->hnext = NULL;
}

void
user_maybe_free(struct user *u)
{
	if (u == NULL || u->nref > 0 || u->db != NULL || u->watchers != NULL)
		return;
	if (!u->deleted)
		unhash(u);
	free(u);
}

void
user_forget(struct user *u)
{
	unhash(u);
	u->deleted = true;
}

void
user_foreach(void (*fn)(struct user *u, void *arg), void *arg)
{
	for (unsigned i = 0; i < BUCKETS; i++)
		for (struct user *u = table[i], *next; u != NULL; u = next) {
			next = u->hnext;
			fn(u, arg);
		}
}
