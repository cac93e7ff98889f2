/*
 * Outbox limits both ends of the store protocol agree on (stored checks
 * them, store_client and submitd size their buffers by them). The store
 * treats addresses as opaque bounded strings: it parses no text.
 */
#ifndef CLOISTER_OUTBOX_PROTO_H
#define CLOISTER_OUTBOX_PROTO_H

#define STORE_OUTBOX_ADDR_MAX 320     /* bytes of one envelope address (RFC 5321 path) */
#define STORE_OUTBOX_RCPTS_MAX 100    /* recipients of one entry (RFC 5321 4.5.3.1.8) */
#define STORE_OUTBOX_REPLY_MAX 512    /* bytes of the relay reply kept per entry */
#define STORE_OUTBOX_META_MAX 1024    /* bytes of a JMAP submission's own fields */

/* STORE_OUTBOX_CHANGE operations on a user's own JMAP entry. */
enum store_outbox_op {
	STORE_OUTBOX_CANCEL = 1,      /* pending -> canceled (CONFLICT: too late) */
	STORE_OUTBOX_HIDE = 2,        /* the EmailSubmission destroyed; sending goes on */
};

#endif
