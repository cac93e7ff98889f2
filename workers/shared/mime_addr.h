/*
 * mime_addr: RFC 5322 address lists (From, To, Cc, ...), the way IMAP's
 * ENVELOPE sees them: each address is (name, route, mailbox, domain); a
 * group opens with (NULL, NULL, group name, NULL) and closes with all NULL.
 * Broken input still yields addresses (missing parts filled with
 * MISSING_MAILBOX / MISSING_DOMAIN / SYNTAX_ERROR like Dovecot) so that
 * ENVELOPE is never shorter than what a user sees in the header.
 */
#ifndef CLOISTER_MIME_ADDR_H
#define CLOISTER_MIME_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct mime_str {
	const char *p;   /* NULL = absent (NIL) */
	size_t len;
};

struct mime_addr {
	struct mime_str name;
	struct mime_str route;
	struct mime_str mailbox;
	struct mime_str domain;
	bool invalid;
};

/* Called for every address in order; a non-zero return stops the parse
 * and is returned. The strings live until the callback returns. */
typedef int (*mime_addr_fn)(void *ctx, const struct mime_addr *a);

/* Parse one header value (raw, folded). At most max_addrs addresses are
 * reported (groups count their markers). */
int mime_addr_parse(const uint8_t *value, size_t len, unsigned max_addrs,
    mime_addr_fn fn, void *ctx);

#endif
