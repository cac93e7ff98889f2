/*
 * lmtp_sieve: what happens to a message for one recipient after DATA.
 * Duplicate suppression first (the same Message-ID for the same recipient
 * within duplicate-window is acknowledged and not filed again); then the
 * installation-wide sieve-before script, the recipient's domain's
 * before-script, the user's active script (loaded from the store, never
 * trusted: sieve_load checks it again), the domain's after-script and
 * sieve-after, each run under a budget; then their actions: keep, fileinto (flags, :create,
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
#define LMTP_SIEVE_DOMAINS 1024           /* scripts in a domain dir */
#define LMTP_DOMAIN_MAX 253               /* RFC 1035 section 2.3.4 */

/* A script of a directory: of sieve-global-dir (for include :global;
 * a name of at most STORE_SIEVE_NAME_MAX) or of a domain dir (the
 * domain, lower case). */
struct lmtp_sieve_named {
	char name[LMTP_DOMAIN_MAX + 1];   /* the file name without .sieve */
	struct sieve_program *prog;
};
_Static_assert(LMTP_DOMAIN_MAX >= STORE_SIEVE_NAME_MAX, "names fit");

/* The scripts of sieve-before-domain-dir or sieve-after-domain-dir,
 * sorted by domain. */
struct lmtp_sieve_domains {
	struct lmtp_sieve_named *v;
	size_t n;
};

struct lmtp_sieve_conf {
	uint64_t dup_window;            /* 0: no duplicate suppression */
	struct sieve_budget budget;
	unsigned redirects_per_day;     /* per user */
	uint64_t vacation_min;          /* shortest vacation period, seconds */
	bool sieve;                     /* run users' scripts at all */
	struct sieve_program *before, *after;   /* global scripts or NULL */
	struct lmtp_sieve_domains dom_before, dom_after;   /* per domain */
	const struct lmtp_sieve_named *globals;   /* include :global */
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
 * before confinement; opened as the domain scripts are): their number, or -1 with the file and "line L,
 * column C: ..." in err. */
int lmtp_sieve_compile_dir(const char *dir, struct lmtp_sieve_named *out,
    char *err, size_t errsz);

/* Compile every DOMAIN.sieve of dir into out (at most LMTP_SIEVE_DOMAINS,
 * DOMAIN a lower-case domain name, before confinement): their number, or
 * -1 with the file and what is wrong with it in err (it does not compile,
 * is a symlink or no regular file, its name is no domain). */
int lmtp_sieve_compile_domains(const char *dir,
    struct lmtp_sieve_domains *out, char *err, size_t errsz);

/* Free what lmtp_sieve_compile_domains made. */
void lmtp_sieve_domains_free(struct lmtp_sieve_domains *ds);

/* The script of the domain of addr (after its last '@', any case), or
 * NULL when that domain has none. */
const struct sieve_program *lmtp_sieve_domain_find(
    const struct lmtp_sieve_domains *ds, const char *addr);

#endif
