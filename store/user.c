/* user: the shard's users cached in memory (see user.h). */
#include "user.h"
#include "buf.h"
#include "db.h"
#include "log.h"
#include "msgfile.h"
#include "registry.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BUCKETS 4096

static struct user *table[BUCKETS];
static user_db_opened_fn db_opened;

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

void
user_on_db_open(user_db_opened_fn fn)
{
	db_opened = fn;
}

struct udb *
user_db(struct user *u)
{
	if (u->db != NULL) {
		db_touch(u->db);
		return u->db;
	}
	struct udb *d = db_open(u, u->name, u->id);
	if (d == NULL)
		return NULL;
	u->db = d;
	if (db_opened != NULL && db_opened(d) < 0) {
		user_drop_db(u);
		return NULL;
	}
	return d;
}

void
user_drop_db(struct user *u)
{
	if (u->db != NULL) {
		db_drop(u->db);
		u->db = NULL;
	}
}

void
user_release_db(struct user *u)
{
	if (u->db != NULL && !u->db->txn) {
		db_close(u->db);
		u->db = NULL;
		user_maybe_free(u);
	}
}

void
user_trim(void)
{
	struct udb *d;
	while ((d = db_lru_victim()) != NULL) {
		struct user *u = d->u;
		db_close(d);
		u->db = NULL;
		user_maybe_free(u);
	}
}

/* Databases a kill left with a WAL: open and close them now, so that a
 * database nobody has opened since is a single consistent file (the
 * freeze checkpoints only the open ones). */
static int
recover_one(void *arg, const char *name, uint64_t id, uint64_t sl,
    uint64_t ml)
{
	char dir[MSGFILE_PATH_MAX], wal[MSGFILE_PATH_MAX + 16];
	struct stat sb;
	(void)arg;
	(void)sl;
	(void)ml;
	if (msgfile_user_dir(id, dir, sizeof(dir)) < 0 ||
	    buf_snprintf(wal, sizeof(wal), "%s/mail.db-wal", dir) < 0 ||
	    stat(wal, &sb) < 0)
		return 0;
	bool other;
	struct user *u = user_get(name, &other);
	if (u == NULL)
		return 0;
	if (user_db(u) == NULL)
		log_err("registry: cannot recover the database of %s", name);
	user_release_db(u);
	return 0;
}

void
user_recover_all(void)
{
	registry_list(recover_one, NULL);
}
