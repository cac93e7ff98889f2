/*
 * jmap_email_update: Email/set's updates (RFC 8621 section 4.6) all at
 * once: jmap_email_set.c reads each patch, jmap_email_update.c finds
 * every email in one store request and sends one STORE_FLAGS per
 * (mailbox, keyword change), one STORE_MOVE or STORE_COPY per (from, to)
 * and one expunge per mailbox left, instead of requests per email.
 */
#ifndef CLOISTER_JMAP_EMAIL_UPDATE_H
#define CLOISTER_JMAP_EMAIL_UPDATE_H

#include "jmap_email_set.h"
#include "jmap_snooze.h"

struct eset {
	struct jmap_call *c;
	json_t *err;                   /* method-level: stop */
	json_t *updates;               /* id -> SetError or null, once made */
	bool kw_read;                  /* the keyword table was read */
};

/* Flags and keyword names to add and to remove on every copy. */
struct kwchange {
	uint32_t add, rm;
	const char *kadd[STORE_MAX_KEYWORDS], *krm[STORE_MAX_KEYWORDS];
	size_t nadd, nrm;
	bool any;
};

#define JMAP_PATCH_MAILBOXES 64        /* mailbox ids a patch may name */
struct mbchange {
	uint64_t add[JMAP_PATCH_MAILBOXES], rm[JMAP_PATCH_MAILBOXES];
	size_t nadd, nrm;
	bool replace;                  /* "mailboxIds": the whole set */
	uint64_t keep[JMAP_PATCH_MAILBOXES]; /* replace: the set */
	size_t nkeep;
};

static inline bool
jmap_u64_in(const uint64_t *v, size_t n, uint64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* The patch into kw and mb; NULL or a SetError (NULL with s->err set
 * when the store failed). */
json_t *jmap_email_read_patch(struct eset *s, json_t *patch,
    struct kwchange *kw, struct mbchange *mb, struct jmap_snooze_change *sn);
/* Does the patch change mailboxIds, and would it leave the email in
 * none? */
bool jmap_mb_any(const struct mbchange *m);
bool jmap_mb_leaves_none(const struct jmap_copies *l,
    const struct mbchange *m);
/* Every update of the map: s->updates gets each id's answer; a store
 * failure that is not the email's goes to s->err. */
void jmap_email_update_all(struct eset *s, json_t *update);

#endif
