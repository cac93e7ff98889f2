/*
 * outbox_auto: what the delivery right (lmtpd, no user ticket: Sieve's
 * vacation, notify and redirect) may queue in the outbox. lmtpd faces the
 * network and names any user; without these rules a compromised lmtpd
 * would have submitd send anything, from anyone, to anyone: an open relay.
 * So an entry it queues
 *   - has the null reverse-path "" (vacation and notify answers, RFC 5230
 *     5.2 / RFC 5435 3.6), or the user's own name when that name is an
 *     address (a redirect's envelope sender): never a forged sender, and
 *     bounces of a redirect go to the user, not to whoever wrote the mail;
 *   - has one recipient;
 *   - is one of at most outbox_delivery_per_day of its user's that UTC day
 *     (set outbox-delivery-per-day, default 200; 0: none), and of at most
 *     outbox_delivery_per_day_shard of the whole shard's (set
 *     outbox-delivery-per-day-shard, default 10000): what lmtpd can send
 *     in a day does not grow with the number of users.
 * The counts are kept per (user, day) in the shard's registry, with the
 * entry they count, in one transaction.
 */
#ifndef CLOISTER_STORE_OUTBOX_AUTO_H
#define CLOISTER_STORE_OUTBOX_AUTO_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct req;

#define OUTBOX_DELIVERY_PER_DAY_DEFAULT 200
#define OUTBOX_DELIVERY_PER_DAY_MAX 1000000
extern uint64_t outbox_delivery_per_day;
#define OUTBOX_DELIVERY_PER_DAY_SHARD_DEFAULT 10000
extern uint64_t outbox_delivery_per_day_shard;

/* At start, with the registry (outbox_open): the table, the statements,
 * the counts of days gone removed. Fatal on failure. */
void outbox_auto_open(sqlite3 *db);
/* r (the delivery right, r->u set) may queue an entry from `from` (flen
 * bytes) to nrcpts recipients today: 0, or the refusal (req_fail). */
int outbox_auto_check(struct req *r, const char *from, size_t flen,
    uint32_t nrcpts);
/* Count the entry being added for user, inside the caller's transaction:
 * 0 or -IPC_ERR_INTERNAL. */
int outbox_auto_count(const char *user);

#endif
