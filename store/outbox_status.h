/*
 * outbox_status: per recipient of an outbox entry, what the relay said
 * and what delivery status notifications said since (RFC 8621 7,
 * deliveryStatus; RFC 3464). submitd reports one reply per recipient with
 * the entry's result (STORE_OUTBOX_RESULT); lmtpd, delivering a DSN to a
 * user, names the submission its envelope id points at
 * (STORE_OUTBOX_REPORT). A report reaches only the submissions of the
 * user it was delivered to, and only as a message that user holds: a
 * forged DSN can change what its recipient sees of their own
 * submissions, nothing of anyone else's.
 */
#ifndef CLOISTER_STORE_OUTBOX_STATUS_H
#define CLOISTER_STORE_OUTBOX_STATUS_H

#include <sqlite3.h>
#include <stdint.h>

#include "buf.h"
#include "outbox_proto.h"

struct req;

/* The largest rstatus: a delivered byte, a reply and a NUL per recipient. */
#define OUTBOX_RSTATUS_MAX \
	(STORE_OUTBOX_RCPTS_MAX * (STORE_OUTBOX_RCPT_REPLY_MAX + 2))

/* The per-recipient replies of a STORE_OUTBOX_RESULT (pointing into the
 * request). */
struct outbox_rcpt_replies {
	uint32_t n;
	const char *text[STORE_OUTBOX_RCPTS_MAX];
	size_t len[STORE_OUTBOX_RCPTS_MAX];
};

/* Its statements, prepared at outbox_open. */
void outbox_status_open(sqlite3 *db);
/* Read u32 n, n x str reply: 0, or -1 (too many, too long). */
int outbox_status_get(struct buf_cur *c, struct outbox_rcpt_replies *rr);
/* The rstatus column for entry id from rr (n 0: empty, every recipient
 * as the entry; else n must be the entry's recipient count): 0, or -1. */
int outbox_status_build(uint64_t id, const struct outbox_rcpt_replies *rr,
    struct buf *out);

int h_outbox_report(struct req *r);

#endif
