/*
 * user: the users of this shard, from its registry (registry.c), cached in
 * memory while a channel is bound to them or their database is open.
 */
#ifndef CLOISTER_STORE_USER_H
#define CLOISTER_STORE_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store_proto.h"

struct udb;
struct chan;

struct user {
	char name[STORE_USER_MAX + 1];
	uint64_t id;                 /* registry id: names data/u/<id> */
	uint64_t storage_limit;      /* 0 = none */
	uint64_t messages_limit;
	struct udb *db;              /* open database, or NULL */
	struct chan *watchers;       /* channels watching (notify.c) */
	unsigned nref;               /* channels bound by STORE_HELLO */
	unsigned api_inflight;       /* JMAP requests (request_slots.h) */
	bool deleted;
	struct user *hnext;
};

/* The user named name (len bytes), loaded from the registry; NULL if there
 * is no such user (or it belongs to another shard: *other_shard set). */
struct user *user_get(const char *name, bool *other_shard);
/* Forget a user nobody refers to any more (no channel, no open db). */
void user_maybe_free(struct user *u);
/* A deleted user: out of the table (a new user of that name is another
 * struct), freed when the last channel lets go. */
void user_forget(struct user *u);
/* The user's database, opened (and created) on demand; NULL on failure.
 * A database just opened is first given to the function set here (the
 * store's INBOX check: mailbox.c sits above this layer). */
struct udb *user_db(struct user *u);
typedef int (*user_db_opened_fn)(struct udb *d);
void user_on_db_open(user_db_opened_fn fn);
/* Close and forget u's database at once (user deletion). */
void user_drop_db(struct user *u);
/* Close u's database cleanly if it is open and idle; u may be freed. */
void user_release_db(struct user *u);
/* Close the least recently used databases past the cache bound (not
 * while frozen); their users may be freed. */
void user_trim(void);
/* At start, after registry_open(): open and close every database a kill
 * left with a WAL. */
void user_recover_all(void);
/* Every cached user, for the freeze and shutdown. */
void user_foreach(void (*fn)(struct user *u, void *arg), void *arg);

#endif
