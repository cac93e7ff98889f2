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
#define STORE_OUTBOX_RCPT_REPLY_MAX 160 /* bytes of the relay's reply kept per recipient */
#define STORE_OUTBOX_REPORTS_MAX 16   /* DSN, and MDN, blobs linked to one submission */
#define STORE_OUTBOX_MSGID_MAX 250    /* bytes of the Message-ID an MDN names */

/* A recipient's delivery state as the store keeps it (the first byte of
 * its status record): what jmapd reports as deliveryStatus "delivered". */
enum store_outbox_delivered {
	STORE_DLV_STATE = '-',        /* as the entry's state says */
	STORE_DLV_QUEUED = 'q',       /* a DSN said delayed */
	STORE_DLV_YES = 'y',          /* a DSN said delivered */
	STORE_DLV_NO = 'n',           /* a 5xx for it, or a DSN said failed */
	STORE_DLV_UNKNOWN = 'u',      /* a DSN said relayed or expanded */
};

/* The envelope id (RFC 3461 ENVID) submitd gives an entry: this prefix
 * and the entry's id in decimal. A DSN carrying it back names the entry. */
#define STORE_OUTBOX_ENVID_PREFIX "cloister-S"

/* STORE_OUTBOX_REPORT: a DSN's per-recipient Action (RFC 3464 2.3.3). */
enum store_report_action {
	STORE_REPORT_FAILED = 1,
	STORE_REPORT_DELAYED = 2,
	STORE_REPORT_DELIVERED = 3,
	STORE_REPORT_RELAYED = 4,
	STORE_REPORT_EXPANDED = 5,
	/* an MDN's disposition (RFC 8098 3.2.6) */
	STORE_REPORT_DISPLAYED = 6,
	STORE_REPORT_OTHER = 7,       /* deleted, dispatched, processed */
};
/* STORE_OUTBOX_REPORT kinds. */
enum store_report_kind {
	STORE_REPORT_DSN = 1,         /* names the entry by id (its ENVID) */
	STORE_REPORT_MDN = 2,         /* names it by its Message-ID */
};
#define STORE_REPORT_RCPTS_MAX 100    /* recipients of one report acted on */

/* STORE_OUTBOX_CHANGE operations on a user's own JMAP entry. */
enum store_outbox_op {
	STORE_OUTBOX_CANCEL = 1,      /* pending -> canceled (CONFLICT: too late) */
	STORE_OUTBOX_HIDE = 2,        /* the EmailSubmission destroyed; sending goes on */
};

#endif
