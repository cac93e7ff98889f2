/*
 * stored: the process — start-up in the order of docs/design.md (load config
 * and every policy, confine, open the shard, serve) and the event loop
 * whose turns end with the group commit. Options of its config section:
 *   autocreate  the mailboxes of a new user, "NAME[=special-use] ..."
 *               (default "INBOX Drafts=drafts Sent=sent Junk=junk
 *               Trash=trash Archive=archive")
 *   db-cache    how many user databases stay open (default 256)
 *   autocreate-users  a first login creates the user's store (yes)
 *   quota-storage, quota-messages  a new user's quota (10G, 1000000)
 *   meta-max    metadata block per message (4M)
 *   request-steps-max, search-scan-max, copy-max  per-request work
 *               budgets (budget.h; docs/store-protocol.md)
 */
#ifndef CLOISTER_STORE_STORED_H
#define CLOISTER_STORE_STORED_H

#include <stdbool.h>

const char *stored_option_autocreate(void);
/* "set autocreate-users yes|no" (default yes): a valid ticket for a name
 * the store does not know creates that user at its first login. */
bool stored_option_autocreate_users(void);
void stored_set_autocreate_users(bool on);
int stored_set_autocreate(const char *spec);
/* The end of an event-loop turn: freeze timeout, group commit, then the
 * notifications and replies that follow from it, then the cache bound. */
void stored_turn_end(void);
/* Commit, close every database cleanly, and _exit(0) (no atexit
 * handlers: OpenSSL's would need calls the policy does not allow). */
void stored_shutdown(void) __attribute__((noreturn));

#endif
