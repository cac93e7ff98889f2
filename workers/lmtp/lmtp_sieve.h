/*
 * lmtp_sieve: what happens to a message for one recipient after DATA.
 * Duplicate suppression first (the same Message-ID for the same recipient
 * within duplicate-window is acknowledged and not filed again); then the
 * global sieve-before script, the user's active script (loaded from the
 * store, never trusted: sieve_load checks it again) and sieve-after, run
 * under a budget; then their actions: keep, fileinto (flags, :create,
 * :copy), discard, reject (550 5.7.1), redirect, vacation and notify
 * (queued in the user's outbox). Whatever fails in a script (it does not
 * load, it runs over its budget, the store refuses a fileinto target)
 * ends in a keep to INBOX and a log line: a script never loses mail.
 */
#ifndef CLOISTER_LMTP_SIEVE_H
#define CLOISTER_LMTP_SIEVE_H

#include <stdbool.h>
#include <stdint.h>

#include "lmtp.h"
#include "mime.h"
#include "msgmeta.h"
#include "sieve.h"
#include "sieve_run.h"
#include "store_client.h"

#define LMTP_DUP_WINDOW_DEFAULT 86400      /* seconds, as Cyrus */
#define LMTP_REDIRECTS_PER_DAY_DEFAULT 100
#define LMTP_NOTIFY_MAX 4                  /* notify actions per message */
#define LMTP_DUPLICATE_MAX 16              /* duplicate tests asking the
                                              store, per recipient */
#define LMTP_VACATION_MIN_DEFAULT 86400    /* as Pigeonhole */

#define LMTP_SIEVE_GLOBALS 64             /* scripts in sieve-global-dir */

/* A script of sieve-global-dir, for include :global. */
struct lmtp_sieve_global {
	char name[STORE_SIEVE_NAME_MAX + 1];   /* the file name without .sieve */
	struct sieve_program *prog;
};

struct lmtp_sieve_conf {
	uint64_t dup_window;            /* 0: no duplicate suppression */
	struct sieve_budget budget;
	unsigned redirects_per_day;     /* per user */
	uint64_t vacation_min;          /* shortest vacation period, seconds */
	bool sieve;                     /* run users' scripts at all */
	struct sieve_program *before, *after;   /* global scripts or NULL */
	const struct lmtp_sieve_global *globals;   /* include :global */
	size_t nglobals;
	const char *hostname;
};

/* One recipient's delivery: the message (parsed), the bytes to file (the
 * trace fields and the message in memfd) and their metadata. */
struct lmtp_delivery {
	struct store_conn *sc;
	const struct lmtp_txn *t;
	const struct lmtp_rcpt *r;
	const struct mime_msg *m;        /* the parse of t->msg */
	const struct store_msg_meta *meta;
	int memfd;
	uint64_t size;
	const uint8_t *trace;            /* the trace fields in front */
	size_t trace_len;
	int64_t now;
	/* the edited messages of replace and enclose: their metadata's
	 * limits, and max-message-size with the trace fields */
	const struct msgmeta_limits *lim;
	uint64_t max_size;
};

struct lmtp_sieve;

struct lmtp_sieve *lmtp_sieve_new(const struct lmtp_sieve_conf *c);
void lmtp_sieve_free(struct lmtp_sieve *s);

/* Deliver as the scripts say. A store_rc (STORE_OK when the message is
 * where it should be, or was a duplicate, or discarded); *rejected true
 * (with STORE_OK) when a script rejected it, its reason then in
 * lmtp_sieve_reason. */
int lmtp_sieve_deliver(struct lmtp_sieve *s, const struct lmtp_delivery *d,
    bool *rejected);
const char *lmtp_sieve_reason(const struct lmtp_sieve *s);

/* Compile a global script file (before confinement). NULL with the file's
 * name and "line L, column C: ..." in err when it does not compile. */
struct sieve_program *lmtp_sieve_compile_file(const char *path, char *err,
    size_t errsz);

/* Compile every NAME.sieve of dir into out (at most LMTP_SIEVE_GLOBALS,
 * before confinement): their number, or -1 with the file and "line L,
 * column C: ..." in err. */
int lmtp_sieve_compile_dir(const char *dir, struct lmtp_sieve_global *out,
    char *err, size_t errsz);

#endif
