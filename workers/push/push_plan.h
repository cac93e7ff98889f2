/*
 * push_plan: what pushd sends for one STORE_PUSH_EVENT, from the user's
 * subscription document (jmap_pushsub.h describes it): a PushVerification
 * (RFC 8620 7.2.2) to each live subscription the client has not yet
 * verified and that was not sent one yet, and a StateChange (7.1) to each
 * live, verified subscription whose types include a type that moved (all
 * when types is null; none when only the subscriptions changed). Nothing
 * for an expired subscription. Pure: no I/O.
 */
#ifndef CLOISTER_PUSH_PLAN_H
#define CLOISTER_PUSH_PLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PUSH_PLAN_MAX 16                 /* = JMAP_PUSHSUB_MAX */
#define PUSH_KIND_MAIL 1u                /* STORE_PUSH_EVENT kinds */
#define PUSH_KIND_OBJECTS 2u
#define PUSH_KIND_SUBSCRIPTIONS 4u       /* only verifications follow */

struct push_msg {
	char id[64];                     /* the subscription's */
	const char *url;                 /* into the document */
	uint8_t p256dh[65], auth[16];
	bool has_keys;
	bool verification;               /* a PushVerification */
	char *json;                      /* malloc'd */
};

/* Has the verification of subscription id been sent (pushd's memory)?
 * NULL: never. */
typedef bool (*push_sent_fn)(void *ctx, const char *id);

/* Fill out (at most PUSH_PLAN_MAX) for user's event; the count. */
size_t push_plan(json_t *doc, const char *user, uint64_t state,
    unsigned kind, uint64_t now, push_sent_fn sent, void *ctx,
    struct push_msg *out);
void push_msg_free(struct push_msg *m);

/* "A" and the first 96 bits of SHA-256(user) in hex (buf >= 26): the
 * account id jmapd gives the user, named in StateChange. */
void push_account_id(const char *user, char *buf, size_t n);

#endif
