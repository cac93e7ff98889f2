/*
 * delivery: what the delivery right (lmtpd, no ticket) may do beyond
 * appending to a user's INBOX. Enforced here, in stored, whatever the
 * worker asks for:
 *   - user+detail reaches mailbox "detail" only if the administrator opted
 *     that mailbox in (cloisterctl mailbox detail-delivery); otherwise, and
 *     always for a special-use mailbox that was not forced, it is INBOX;
 *   - a delivered message may carry only the flags and keywords a filter
 *     sets on arrival (DELIVERY_FLAGS, delivery_keywords[]); the rest of
 *     what the worker sent is dropped;
 *   - the internal date is the store's clock, not the worker's;
 *   - the reply is a status, never a UID, thread or content hash.
 */
#ifndef CLOISTER_STORE_DELIVERY_H
#define CLOISTER_STORE_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta.h"
#include "store_proto.h"

struct mbox;
struct meta;
struct req;

/* \Seen and \Flagged: a filter files a message as read or flags it.
 * Never \Deleted (an expunge away from silent removal), \Answered or
 * \Draft (they state what the user did). */
#define DELIVERY_FLAGS (STORE_FLAG_SEEN | STORE_FLAG_FLAGGED)

/* Does +detail delivery land in mb? */
bool delivery_takes_detail(const struct mbox *mb);
/* The mailbox for user+detail (dlen 0: none): the opted-in mailbox of
 * that name, else INBOX. 0, or a negative IPC error (req_fail). */
int delivery_mailbox(struct req *r, const char *detail, size_t dlen,
    struct mbox *mb);
/* The flags and keywords a STORE_DELIVER_TO names (a Sieve script's
 * fileinto :flags, the user's own choice): all of them are kept. The
 * keywords point into the request. */
struct delivery_set {
	uint32_t flags;
	struct meta_bytes kw[STORE_MAX_KEYWORDS];
	uint32_t nkw;
};
#define DELIVERY_SET_MAX (STORE_MAX_KEYWORDS + 5)  /* flags in a request */
/* n flag fields of r: IMAP system flags ("\\Seen"...) or keyword atoms;
 * MALFORMED for anything else. */
int delivery_parse_flags(struct req *r, uint32_t n, struct delivery_set *set);
/* Drop what a delivery may not set (set NULL), or take set's flags and
 * keywords instead of the worker's; the store's clock for the date. */
void delivery_filter_meta(struct meta *m, const struct delivery_set *set);
/* The administrator's opt-in of mailbox name (on 0/1); a special-use
 * mailbox needs force. Within a write. */
int delivery_set_detail(struct req *r, const char *name, size_t len,
    uint32_t on, uint32_t force);

#endif
