/*
 * push_retry: the messages a push service could not take yet (429, 5xx,
 * a network failure), kept in memory with bounds on everything: at most
 * PUSH_RETRY_SLOTS waiting (a new one replaces the one due last when
 * full), PUSH_RETRY_ATTEMPTS attempts each, the wait doubling from 30 s
 * or the service's Retry-After, never past an hour. A subscription has
 * at most one message waiting: a newer StateChange replaces an older
 * (the newest state is all a client needs) and keeps its wait, so a
 * failing service is not asked again sooner for it.
 */
#ifndef CLOISTER_PUSH_RETRY_H
#define CLOISTER_PUSH_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "push_plan.h"

#define PUSH_RETRY_SLOTS 256
#define PUSH_RETRY_ATTEMPTS 5
#define PUSH_RETRY_FIRST_S 30
#define PUSH_RETRY_MAX_S 3600

struct push_retry_entry {
	char user[256];
	struct push_msg msg;             /* owns msg.json; url copied */
	char url[1024];
	unsigned attempts;               /* made so far */
	uint64_t due;                    /* unix seconds */
	bool used;
};

struct push_retry {
	struct push_retry_entry e[PUSH_RETRY_SLOTS];
};

/* m failed its attempt number attempts (1 = the first) at now; the
 * service asked retry_after seconds (0: none). Takes m->json (m->json
 * NULL after); false (and m freed) when it has had all its attempts. */
bool push_retry_add(struct push_retry *q, const char *user,
    struct push_msg *m, unsigned attempts, uint32_t retry_after,
    uint64_t now);
/* Take out the message due first at or before now: false when none is.
 * *m then owns its json; url points into url (1024 bytes). The caller
 * sends it and push_retry_add()s it again with *attempts + 1 if it
 * fails again, else frees it. */
bool push_retry_take(struct push_retry *q, uint64_t now, char user[256],
    char url[1024], struct push_msg *m, unsigned *attempts);
/* Has subscription id of user a message waiting? A newer message for it
 * then joins the wait (push_retry_add) instead of being sent at once: a
 * push service that stalls or refuses costs one attempt per wait, not
 * one per change of the user's mail. */
bool push_retry_waiting(const struct push_retry *q, const char *user,
    const char *id);
/* Entries waiting. */
unsigned push_retry_count(const struct push_retry *q);

#endif
