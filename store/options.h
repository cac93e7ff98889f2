/*
 * options: the stored options the request handlers read, set once at
 * start from stored's config section (stored.c):
 *   autocreate  the mailboxes of a new user, "NAME[=special-use] ..."
 *               (default "INBOX Drafts=drafts Sent=sent Junk=junk
 *               Trash=trash Archive=archive")
 *   autocreate-users  a first login creates the user's store (yes)
 *   sieve-max-scripts, sieve-max-script-size  the Sieve quota (32, 64K)
 * The others (db-cache, quota-storage, quota-messages, meta-max,
 * request-steps-max, search-scan-max, copy-max) go to the module they
 * bound (db.h, quota.h, meta.h, budget.h; docs/configuration.md).
 */
#ifndef CLOISTER_STORE_OPTIONS_H
#define CLOISTER_STORE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

const char *options_autocreate(void);
/* 0, or -1 if spec does not fit. */
int options_set_autocreate(const char *spec);
/* "set autocreate-users yes|no" (default yes): a valid ticket for a name
 * the store does not know creates that user at its first login. */
bool options_autocreate_users(void);
void options_set_autocreate_users(bool on);
/* Sieve quota per user (sieve-max-scripts, sieve-max-script-size): how
 * many scripts, and bytes of source each (at most STORE_SIEVE_SOURCE_MAX). */
#define QUOTA_SIEVE_SCRIPTS_DEFAULT 32
#define QUOTA_SIEVE_SCRIPT_SIZE_DEFAULT (64u * 1024)
extern uint64_t options_sieve_max_scripts, options_sieve_max_script_size;

/* The group commit's wait for peers answered early (stored.c), in 1 ms
 * polls: `commit-wait` milliseconds at most per turn; 0 never waits. */
#define OPTIONS_COMMIT_WAIT_DEFAULT 4
#define OPTIONS_COMMIT_WAIT_MAX 20
extern unsigned options_commit_wait_ms;

#endif
