/*
 * imap_thread: the THREAD command's algorithms (RFC 5256): ORDEREDSUBJECT
 * (base subject, then sent date) and REFERENCES (message-id links, then
 * base subject). Input: the matching messages' metadata; output: the
 * thread list as sent after "* THREAD", e.g. "(1 2)(3 (4)(5))". Pure (no
 * I/O); memory grows with the messages and their references (at most 100
 * followed per message).
 */
#ifndef CLOISTER_IMAP_THREAD_H
#define CLOISTER_IMAP_THREAD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct imap_thread_msg {
	uint32_t seq;          /* what is printed: sequence number or UID */
	int64_t date;          /* sent date (else INTERNALDATE), UTC seconds */
	const char *subject;   /* decoded; NULL = none */
	const char *msgid;     /* "<...>"; NULL = none */
	const char *inreplyto; /* first msg-id */
	const char *refs;      /* msg-ids separated by spaces */
};

/* Messages in mailbox order. 0, or -1 when memory ran out or out is
 * full. */
int imap_thread_orderedsubject(const struct imap_thread_msg *m, size_t n,
    struct buf *out);
int imap_thread_references(const struct imap_thread_msg *m, size_t n,
    struct buf *out);

#endif
