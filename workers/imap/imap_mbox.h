/*
 * imap_mbox: mailbox attributes between IMAP (RFC 6154 special-use, LIST
 * attributes) and the store's bits, in one table.
 */
#ifndef CLOISTER_IMAP_MBOX_H
#define CLOISTER_IMAP_MBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

/* IMAP_SU_* (imap_args.h) -> STORE_USE_* and back. */
uint32_t imap_mbox_use_to_store(uint32_t imap_su);
/* The special-use attributes of store bits: " \Sent \Trash" appended. */
void imap_mbox_use_out(struct buf *b, uint32_t store_attrs, bool *first);
/* Parse "Name=use" autocreate entries ("drafts", "sent", ...): the store
 * bit of a use name, 0 if unknown. */
uint32_t imap_mbox_use_by_name(const char *name);

#endif
