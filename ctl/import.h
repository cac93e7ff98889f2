/*
 * import: `cloisterctl import USER SOURCE` inside cloisterctl.
 *
 * import_cmd.c     the command: options, which source, the reader child
 *                  (confined), the summary
 * import_proxy.c   the parent between the reader child and the store
 * import.c         the sink (import_source.h): folders and messages into
 *                  the store's admin channel, batched; idempotent
 * import_seen.c    content hashes a folder holds (messages without UIDs)
 * import_maildir.c the Maildir++ source (Dovecot's uidlist and keywords)
 * import_mbox.c    the mbox source (mboxrd/mboxo, Status/X-Status)
 * import_imap_cmd.c the IMAP source (import_imap.h) as the command runs it
 * import_local.c   the reader of a Maildir or mbox, confined under
 *                  policy/import-local.policy
 */
#ifndef CLOISTER_IMPORT_H
#define CLOISTER_IMPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "import_source.h"
#include "store_client_import.h"

/* What the command line says about the sources and the sink. */
struct import_args {
	const char *user;          /* the store's name of the account */
	const char *folder;        /* --folder: where a one-folder source goes */
	bool force_new_uidvalidity;
	bool progress;             /* a progress line on stderr (a terminal) */
	struct import_imap_args {  /* the IMAP source (import_imap_cmd.c) */
		const char *ca_file;       /* --ca-file */
		const char *password_file; /* --password-file; else stdin */
		bool insecure;             /* --insecure: no certificate check */
		bool plaintext;            /* --plaintext: imap:// without TLS */
		size_t max_message;        /* --max-message; 0: the default */
		char policy[512];          /* policy-dir/import-imap.policy */
	} imap;
	struct import_local_args { /* a Maildir or mbox (import_local.c) */
		const char *reader_user;   /* --reader-user; else the owner */
		char policy[512];          /* policy-dir/import-local.policy */
		int source_fd;             /* an mbox opened before confinement,
		                            * or -1 */
	} local;
};

/* A source: reads spec (what followed its prefix) and calls the sink;
 * 0, the sink's negative value, or IMPORT_E_SOURCE (it said why). */
#define IMPORT_E_SOURCE (-1000)
/* A source's failure to read what (a file or folder) name: said on stderr
 * with errno's text; returns IMPORT_E_SOURCE. */
int import_source_err(const char *what, const char *name);
int import_maildir(const char *spec, const struct import_args *a,
    const struct import_sink *s);
int import_mbox(const char *spec, const struct import_args *a,
    const struct import_sink *s);
/* spec: the whole imap:// or imaps:// URL (import_imap.h) */
int import_imap(const char *spec, const struct import_args *a,
    const struct import_sink *s);

/* import_local.c: in the reader child, before a byte of the source is
 * read: confine under a->local.policy (sandbox.h) as the source's owner or
 * --reader-user, never root, keeping store_fd. A Maildir becomes the root
 * (*spec "/"); an mbox is opened first (a->local.source_fd) and the root
 * is the policy's empty one. CTL_OK, or the ctl_fail() exit code. */
int import_local_confine(const char *path, struct import_args *a,
    int store_fd, const char **spec);

/* The totals of a run. */
struct import_totals {
	unsigned folders;
	uint64_t copied, skipped, bytes;
};

/* The sink over an open admin connection; the sink's errors are printed
 * and come back as -(enum ctl_exit). */
struct import_state;
struct import_state *import_sink_new(struct store_conn *sc,
    const struct import_args *a, struct import_sink *out);
/* Flush and end the last folder: 0 or -(enum ctl_exit). */
int import_sink_finish(struct import_state *st, struct import_totals *t);
void import_sink_free(struct import_state *st);

/* import_proxy.c: the parent's side. Relays the child's store requests
 * that import_proxy_allows() to the admin channel until the child closes
 * its end; 0, or -1 if either side broke the protocol. */
struct ipc_msg;
bool import_proxy_allows(const struct ipc_msg *m, const char *user);
int import_proxy_run(int child, int store, const char *user);

#endif
