/*
 * imap_fmt: response pieces several commands write — flag lists, dates,
 * UID sets ("1:5,7").
 */
#ifndef CLOISTER_IMAP_FMT_H
#define CLOISTER_IMAP_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "store_client.h"

/* The user's keyword table at one moment: names[i] is bit i. */
struct imap_keywords {
	const char *const *names;
	size_t n;
};

/* A decimal number (hot paths: no printf). */
void imap_fmt_u64(struct buf *b, uint64_t v);

/* "(\Seen \Flagged $kw)" */
/* Or'ed into the store flags given to imap_fmt_flags: the message is
 * \Recent for this session (a bit the store never uses). */
#define IMAP_FMT_RECENT (1u << 31)
void imap_fmt_flags(struct buf *b, uint32_t flags, uint64_t keywords,
    const struct imap_keywords *kw);
/* "\"17-Jul-1996 02:44:25 -0700\"" */
void imap_fmt_internaldate(struct buf *b, uint64_t t, int32_t tzoff_min);
/* "1:5,7" (empty set: nothing) */
void imap_fmt_uids(struct buf *b, const struct store_uids *u);
/* Store flag bits <-> IMAP system flag bits (imap_args.h). */
uint32_t imap_fmt_flags_to_store(uint32_t imap_sys);

#endif
