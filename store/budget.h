/*
 * budget: the work one request may make stored do. stored is one thread
 * serving every user of its shard; a request that runs long holds all of
 * them. Each request gets a budget — SQLite virtual-machine steps (rows
 * scanned and written), text bytes the substring keys scan, messages one
 * COPY/MOVE writes — and one that passes it ends with IPC_ERR_LIMIT
 * (IMAP NO [LIMIT], RFC 5530) and undoes whatever it wrote. The limits
 * are stored options (docs/configuration.md); the defaults leave cheap
 * operations on a 100,000-message mailbox far inside them.
 */
#ifndef CLOISTER_STORE_BUDGET_H
#define CLOISTER_STORE_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

struct budget_limits {
	uint64_t steps;          /* request-steps-max: SQLite VM steps */
	uint64_t search_text;    /* search-text-max: bytes scanned */
	uint64_t copy_messages;  /* copy-max: messages per COPY/MOVE */
};

#define BUDGET_STEPS_DEFAULT (20ull * 1000 * 1000)
#define BUDGET_SEARCH_TEXT_DEFAULT (512ull * 1024 * 1024)
#define BUDGET_COPY_DEFAULT 20000ull

extern struct budget_limits budget_limits;

/* Count steps on db (called once per opened database). */
void budget_watch(sqlite3 *db);
/* Around one request's handler: reset and arm, then disarm. */
void budget_begin(void);
void budget_end(void);
/* Take n text bytes from the request's budget; false (and the request is
 * marked over budget) when it is spent. */
bool budget_take_text(uint64_t n);
/* Lower this request's text budget to max (a search that is not sliced
 * holds the shard while it scans). */
void budget_cap_text(uint64_t max);
#define BUDGET_UNSLICED_TEXT (32ull * 1024 * 1024)
/* Text taken since budget_begin (a sliced search adds up its slices). */
uint64_t budget_text_taken(void);
/* Mark the request over budget (a count limit met by a handler). */
void budget_exceed(const char *what);
/* What the request ran out of, or NULL. */
const char *budget_exceeded(void);

#endif
