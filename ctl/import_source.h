/*
 * import_source: what `cloisterctl import` reads from a source (a Maildir
 * tree, an mbox file, a remote IMAP server) and hands to the store side,
 * one folder at a time and then its messages in UID order. A source knows
 * nothing of the store; the sink (ctl/import.c) knows nothing of sources.
 *
 * The sink makes a second run copy nothing: a folder whose UIDVALIDITY
 * matches is resumed, and a message whose UID (or, where the source has
 * none, whose content) the folder already holds is skipped.
 */
#ifndef CLOISTER_IMPORT_SOURCE_H
#define CLOISTER_IMPORT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One folder, as the source has it. uidvalidity/uidnext 0 = the source has
 * none (plain Maildir++, mbox): the store picks them. */
struct import_folder {
	const char *name;          /* UTF-8, hierarchy separator '/', "INBOX" */
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint32_t special_use;      /* store_proto.h's STORE_MBOX_* role bits */
	bool subscribed;
};

/* One message. uid 0 = the source has none (the store appends). flags are
 * store_proto.h's STORE_FLAG_* bits; keywords are the other flag names. */
struct import_msg {
	uint32_t uid;
	uint32_t flags;
	const char *const *keywords;
	size_t nkeywords;
	int64_t internal_date;     /* seconds since the epoch, UTC */
	const char *data;          /* the RFC 5322 message, len bytes */
	size_t len;
};

/* The sink a source calls. Each returns 0, or a negative value that stops
 * the source (the source returns it). have_uid lets a source skip fetching
 * a message the sink already holds (the IMAP source asks before FETCH). */
struct import_sink {
	int (*folder)(void *sink, const struct import_folder *f);
	bool (*have_uid)(void *sink, uint32_t uid);
	int (*message)(void *sink, const struct import_msg *m);
	void *arg;
};

#endif
