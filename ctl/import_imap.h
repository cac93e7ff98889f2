/*
 * import_imap: the IMAP import source. It logs in to a remote server (as
 * the user, or as an administrator acting for the user), walks LIST (with
 * special-use) and LSUB, and for each selectable folder EXAMINEs it, reads
 * every message's UID, flags, internal date and size in batches, asks the
 * sink which UIDs it already holds and fetches only the bodies of the
 * others, handing them to the sink in UID order (import_source.h).
 *
 * Source URL: imaps://[USER[*ADMIN]@]HOST[:PORT] (TLS from the start, port
 * 993) or imap://... (STARTTLS, port 143; or plaintext with the plaintext
 * option, to loopback only). USER*ADMIN is Dovecot's master-user form:
 * ADMIN authenticates and acts for USER. %XX escapes any byte.
 */
#ifndef CLOISTER_IMPORT_IMAP_H
#define CLOISTER_IMPORT_IMAP_H

#include <stdint.h>

#include "imap_client.h"
#include "import_source.h"

#define IMPORT_IMAP_MAX_MESSAGE_DEFAULT (64u << 20)
#define IMPORT_IMAP_BATCH_DEFAULT 500u

/* What a run did. */
struct import_imap_stats {
	unsigned folders;
	uint64_t messages;       /* handed to the sink */
	uint64_t bytes;          /* of their bodies */
	uint64_t present;        /* skipped: the sink held the UID */
	uint64_t too_big;        /* skipped: over the size limit */
	uint64_t vanished;       /* expunged on the server meanwhile */
	uint64_t folders_skipped;  /* names that cannot be carried over */
};

struct import_imap_opts {
	struct imapc_opts conn;
	const char *user;          /* the account on the remote server */
	const char *admin;         /* NULL, or who logs in acting for user */
	const char *password;      /* user's, or admin's with admin set */
	size_t password_len;
	unsigned batch;            /* messages per metadata batch; 0: default */
	const char *under;         /* NULL, or the folder the tree goes under
	                            * (INBOX becomes it; no special use) */
	struct import_imap_stats *stats;   /* filled when not NULL */
	/* Called once the files are read (CA certificates) and the server
	 * connected (fd), before its first byte is read: the caller gives up
	 * privilege. */
	int (*confine)(void *arg, int fd);
	void *confine_arg;
};

/* Fill o's connection, user and admin from a source URL; the strings are
 * kept in store[0..size). Defaults for the rest (timeouts, limits). 0, or
 * -1 with a message in err. */
int import_imap_url(const char *url, struct import_imap_opts *o,
    char *store, size_t size, char *err, size_t errsize);

/* Run the import. 0: everything copied; 1: done, but some messages were
 * skipped (too big, vanished; stats says which) or some folders could not
 * be named here; -1: an error (said on stderr); or the sink's negative
 * value. */
int import_imap_run(const struct import_imap_opts *o,
    const struct import_sink *sink);

#endif
