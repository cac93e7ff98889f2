/*
 * lmtp_dsn_fields: the fields of a message/delivery-status body (RFC 3464
 * 2.1) that link a DSN to the submission it reports on: the per-message
 * Original-Envelope-Id and, per recipient, Original-Recipient or
 * Final-Recipient and Action; and of a disposition notification's
 * (RFC 8098). Untrusted bytes (anyone can mail a user a
 * report): bounded copies, at most DSN_RCPTS_MAX recipients kept,
 * anything malformed skipped. Folded lines are unfolded; other fields
 * are ignored.
 */
#ifndef CLOISTER_LMTP_DSN_FIELDS_H
#define CLOISTER_LMTP_DSN_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outbox_proto.h"

#define DSN_ENVID_MAX 100            /* RFC 3461 4.4 */
#define DSN_RCPTS_MAX STORE_REPORT_RCPTS_MAX

struct dsn_rcpt {
	char addr[STORE_OUTBOX_ADDR_MAX + 1];  /* Original-, else Final-Recipient */
	uint32_t action;                       /* enum store_report_action */
};

struct dsn_fields {
	char envid[DSN_ENVID_MAX + 1];         /* "" if none */
	unsigned n;
	struct dsn_rcpt rcpt[DSN_RCPTS_MAX];
};

/* Parse len bytes of a delivery-status body into *out. */
void dsn_fields_parse(const uint8_t *p, size_t len, struct dsn_fields *out);

/* The fields of a message/disposition-notification body (RFC 8098 3.1)
 * that link an MDN to the submission it reports on: Original-Message-ID
 * (without its angle brackets), the recipient (Original-, else
 * Final-Recipient) and the disposition type. */
struct mdn_fields {
	char msgid[STORE_OUTBOX_MSGID_MAX + 1];   /* "" if none or too long */
	struct dsn_rcpt rcpt;   /* action STORE_REPORT_DISPLAYED or _OTHER;
				   0 and addr "": none usable */
};
void mdn_fields_parse(const uint8_t *p, size_t len, struct mdn_fields *out);

/* The outbox id an envelope id names (STORE_OUTBOX_ENVID_PREFIX and
 * decimal digits), or 0. */
uint64_t dsn_envid_outbox(const char *envid);

#endif
