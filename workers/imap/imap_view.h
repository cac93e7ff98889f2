/*
 * imap_view: the selected mailbox as this session has shown it to its
 * client — the UID of every sequence number (the only per-mailbox state
 * imapd keeps), the EXISTS count announced, expunges the store made that
 * the client has not been told of yet, and the modseq up to which other
 * sessions' changes are reflected. imap_view_sync() brings it up to date
 * from the store and writes the unsolicited EXISTS / EXPUNGE / VANISHED /
 * FETCH responses, in an order that keeps sequence numbers valid.
 */
#ifndef CLOISTER_IMAP_VIEW_H
#define CLOISTER_IMAP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap_args.h"
#include "store_client.h"

struct imap_session;

struct imap_view {
	uint64_t id;
	char name[STORE_MBOX_NAME_MAX + 1];   /* UTF-8 */
	bool readonly;                         /* EXAMINE */
	uint32_t uidvalidity, uidnext;
	uint64_t modseq;          /* store changes up to here are reflected */
	uint32_t *uids;           /* sequence number i+1 -> uids[i] */
	size_t n, cap;
	size_t announced;         /* the EXISTS count the client knows */
	uint32_t store_messages;  /* the store's count at the last sync */
	struct store_uids gone;   /* expunged in the store, still in uids[] */
	bool stale;               /* a notification came: sync before use */
	bool dirty;               /* ... and not only appends: sync soon */
	uint64_t lazy_modseq;     /* modseq when appends were announced */
	struct store_uids saved;  /* SEARCHRES "$" (UIDs) */
	struct store_uids recent; /* \Recent for this session (IMAP4rev1) */
	size_t recent_told;       /* the RECENT count the client knows */
	size_t nkw;               /* keywords in the FLAGS the client saw */
};

/* Load the mailbox (UIDs in order) after SELECT/EXAMINE. */
int imap_view_open(struct imap_session *s, struct imap_view *v, uint64_t id,
    const char *name, bool readonly, const struct store_mbox_status *st);
void imap_view_free(struct imap_view *v);

/* Messages of the view that are \Recent for this session. */
size_t imap_view_recent_count(const struct imap_view *v);
/* IMAP_FMT_RECENT if uid is \Recent for this session, else 0: or it into
 * the flags given to imap_fmt_flags. */
uint32_t imap_view_recent_flag(const struct imap_session *s, uint32_t uid);

/* Sequence number of uid (1-based), 0 if not in the view. */
size_t imap_view_seq(const struct imap_view *v, uint32_t uid);
/* The view's largest UID, 0 if empty. */
uint32_t imap_view_last_uid(const struct imap_view *v);

/* A sequence set (message numbers, or UIDs when uid) -> UIDs of the view.
 * Sequence numbers past the end are an error (-1, BAD); UID ranges are
 * clipped to the view ("*" is the largest UID, RFC 9051 6.4.8). "$" is the
 * saved result. Only numbers the client has been told of count. */
int imap_view_resolve(const struct imap_view *v, const struct imap_seqset *set,
    bool uid, struct store_uids *out);

/* Bring the view up to date and tell the client: FETCH (FLAGS) of changed
 * messages, then EXPUNGE/VANISHED (only if expunge_ok; else they wait in
 * gone), then EXISTS. Store errors are returned (negative store_rc). */
int imap_view_sync(struct imap_session *s, bool expunge_ok);
/* A store notification for the view (which becomes stale). A pure append
 * is announced (EXISTS) at once, without a store round trip, and its UIDs
 * can wait for a later sync; true when something else changed and the
 * client should be told soon (sync after flushing the EXISTS). */
bool imap_view_notify(struct imap_session *s, const struct store_notify *n);
/* Remove expunged UIDs now (our own EXPUNGE/MOVE) and tell the client. */
void imap_view_expunged(struct imap_session *s, const struct store_uids *u);

#endif
