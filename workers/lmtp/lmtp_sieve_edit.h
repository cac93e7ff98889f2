/*
 * lmtp_sieve_edit: the message a Sieve replace or enclose makes (RFC 5703
 * sections 6 and 7), built from the bytes of the message as it stands and
 * its MIME parse (mime.h): the builder parses nothing of its own. The
 * result is bounded by the caller's limit (max-message-size).
 */
#ifndef CLOISTER_LMTP_SIEVE_EDIT_H
#define CLOISTER_LMTP_SIEVE_EDIT_H

#include <stdint.h>

#include "buf.h"
#include "mime.h"
#include "sieve_run.h"

struct lmtp_edit_env {
	/* the recipient as given at RCPT and as the user's own address
	 * (enclose's From; NULL: the RCPT one): the Froms replace may set */
	const char *user_addr, *own_addr;
	const char *hostname;    /* of enclose's Message-ID */
	int64_t now;             /* of enclose's Date */
};

/* Append to out (whose max is the size limit) the message m edited by a
 * (SIEVE_ACT_REPLACE or SIEVE_ACT_ENCLOSE). 0, or -1 with *why set: out
 * over its limit, no such part, or a replacement that would cut the part
 * out of its multipart (it holds one of the enclosing boundaries). */
int lmtp_edit_apply(struct buf *out, const struct mime_msg *m,
    const struct sieve_action *a, const struct lmtp_edit_env *env,
    const char **why);

#endif
