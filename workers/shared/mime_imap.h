/*
 * mime_imap: IMAP's views of a parsed message (RFC 3501 section 7.4.2,
 * RFC 9051 section 7.5.2), ready to send: ENVELOPE, BODY and BODYSTRUCTURE
 * with their extension data (no MD5 computed: Content-MD5 is passed on as
 * written; disposition, language, location). Choices where the RFCs leave
 * room (quoting, NIL, defaults, broken headers) follow Dovecot, checked
 * against a running Dovecot by tests/integration/test_mime_dovecot.py.
 */
#ifndef CLOISTER_MIME_IMAP_H
#define CLOISTER_MIME_IMAP_H

#include <stdbool.h>

#include "buf.h"
#include "mime.h"

/* "(date subject from sender reply-to to cc bcc in-reply-to message-id)"
 * of the message whose header is part msg's: 0 for the message, or the
 * child of a message/rfc822 part. flags: enum imapstr_flags. */
int mime_imap_envelope(struct buf *out, const struct mime_msg *m,
    uint32_t msg, unsigned flags);

/* "(...)" of part (0: the whole message). extended: BODYSTRUCTURE, else
 * BODY. -1 if out is full. */
int mime_imap_bodystructure(struct buf *out, const struct mime_msg *m,
    uint32_t part, bool extended, unsigned flags);

#endif
