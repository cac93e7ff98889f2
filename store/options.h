/*
 * options: the stored options the request handlers read, set once at
 * start from stored's config section (stored.c):
 *   autocreate  the mailboxes of a new user, "NAME[=special-use] ..."
 *               (default "INBOX Drafts=drafts Sent=sent Junk=junk
 *               Trash=trash Archive=archive")
 *   autocreate-users  a first login creates the user's store (yes)
 * The others (db-cache, quota-storage, quota-messages, meta-max,
 * request-steps-max, search-scan-max, copy-max) go to the module they
 * bound (db.h, quota.h, meta.h, budget.h; docs/configuration.md).
 */
#ifndef CLOISTER_STORE_OPTIONS_H
#define CLOISTER_STORE_OPTIONS_H

#include <stdbool.h>

const char *options_autocreate(void);
/* 0, or -1 if spec does not fit. */
int options_set_autocreate(const char *spec);
/* "set autocreate-users yes|no" (default yes): a valid ticket for a name
 * the store does not know creates that user at its first login. */
bool options_autocreate_users(void);
void options_set_autocreate_users(bool on);

#endif
