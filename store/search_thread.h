/* search_thread: keyword conditions over a message and over its email's
 * thread (JMAP someInThreadHaveKeyword, allInThreadHaveKeyword and the
 * keyword sorts) as SQL. */
#ifndef CLOISTER_SEARCH_THREAD_H
#define CLOISTER_SEARCH_THREAD_H

#include "buf.h"
#include "db.h"

#include <stdint.h>

enum kw_scope {
	KW_MESSAGE,        /* the row m itself */
	KW_THREAD_SOME,    /* some message of b.thread, in any mailbox */
	KW_THREAD_ALL,     /* every message of b.thread */
};

/* Append the condition for flag (an IMAP flag mask) or, flag 0, the
 * keyword kw[0..n). Constants are literal: the sort statements bind none
 * of the search's parameters. The thread scopes read b.thread (the caller
 * joins blob b). -1: a bad operand or the SQL grew too large. */
int search_kw_sql(struct udb *d, enum kw_scope scope, uint32_t flag,
    const uint8_t *kw, uint32_t n, struct buf *out);

#endif
