/*
 * jmap_email_common: what the Email methods share: the IMAP system flags
 * that are JMAP keywords, and where an email's copies are.
 */
#ifndef CLOISTER_JMAP_EMAIL_COMMON_H
#define CLOISTER_JMAP_EMAIL_COMMON_H

#include "jmap_getset.h"

/* The flags JMAP names: $seen, $answered, $flagged, $draft (\Deleted has
 * no keyword). */
#define JMAP_FLAGS (STORE_FLAG_SEEN | STORE_FLAG_ANSWERED | \
	STORE_FLAG_FLAGGED | STORE_FLAG_DRAFT)
/* The flag of a keyword (any case), 0 if it is not one of them. */
uint32_t jmap_keyword_flag(const char *keyword);
/* The keyword of one flag bit, NULL if it has none. */
const char *jmap_flag_keyword(uint32_t flag);
/* A system keyword's IMAP flag name ("$seen" -> "\\Seen") and back
 * (any case); any other name as it is. */
const char *jmap_keyword_imap(const char *name);

/* The copies of an email (mailbox, uid), as the store lists them. */
struct jmap_copies {
	struct store_email_loc *v;
	size_t n, cap;
};
/* STORE_E_NOTFOUND when there is none; free c->v after. */
int jmap_email_copies(struct store_conn *sc, uint64_t emailid,
    struct jmap_copies *c);

/* A UID set of the one uid (STORE_E_INTERNAL without memory). */
int jmap_one_uid(struct store_uids *u, uint32_t uid);
/* Expunge one copy: \Deleted on it, then UID EXPUNGE of it alone. */
int jmap_expunge_copy(struct store_conn *sc, const struct store_email_loc *loc);

/* The message at loc mapped read-only (*p NULL when it is empty); undo
 * with jmap_message_unmap. */
int jmap_message_map(struct store_conn *sc, const struct store_email_loc *loc,
    void **p, size_t *size);
void jmap_message_unmap(void *p, size_t size);

/* Does p (n bytes) start like a message: a header field ("Name:") first?
 * Email/import and Email/parse take nothing else. */
bool jmap_looks_like_message(const uint8_t *p, size_t n);

/* Every Email property the server knows (Email/get, Email/parse). */
extern const char *const jmap_email_props[];

#endif
