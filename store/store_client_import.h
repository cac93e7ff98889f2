/*
 * store_client_import: the admin channel's migration calls (cloisterctl
 * import and export; docs/store-protocol.md, docs/migration.md). A
 * mailbox with the source's UIDVALIDITY, messages appended with the
 * source's UIDs in batches (one transaction and one round trip each),
 * and what a mailbox holds, for resuming and for export. stored refuses
 * them on every channel but the admin's.
 */
#ifndef CLOISTER_STORE_CLIENT_IMPORT_H
#define CLOISTER_STORE_CLIENT_IMPORT_H

#include "store_client.h"

struct store_import_mbox {
	const char *name;
	uint32_t uidvalidity;      /* 0: any (the store's stays) */
	uint32_t uidnext;          /* raise the mailbox's to this (0: leave) */
	uint32_t use;              /* special-use bits, set if it has none */
	uint32_t flags;            /* enum store_import_flag */
};
struct store_import_mbox_result {
	uint64_t id;
	uint32_t uidvalidity, uidnext;
	bool keep;                 /* the source's UIDs go in as they are */
};
/* Find or create the mailbox. STORE_E_CONFLICT: it has another
 * UIDVALIDITY and holds messages (without STORE_IMPORT_NEW_UIDVALIDITY). */
int store_adm_import_mbox(struct store_conn *sc, const char *user,
    const struct store_import_mbox *in, struct store_import_mbox_result *out);

/* A batch being filled: messages and their metadata in one memfd. */
struct store_import_batch {
	int memfd;
	uint64_t len;              /* bytes in the memfd */
	uint64_t msgbytes;         /* of them, message bytes */
	uint32_t n;
	struct {
		uint32_t uid;
		uint64_t size;
		uint32_t metalen;
	} e[STORE_IMPORT_BATCH_MAX];
};
/* 0, or -1 (errno) if no memfd could be made. */
int store_import_batch_init(struct store_import_batch *b);
void store_import_batch_free(struct store_import_batch *b);
/* Add one message (uid 0: the store picks it). STORE_E_ARG: full (n at
 * STORE_IMPORT_BATCH_MAX), or the metadata would not encode. */
int store_import_batch_add(struct store_conn *sc, struct store_import_batch *b,
    uint32_t uid, const void *data, size_t len,
    const struct store_msg_meta *meta);
/* Send the batch into mailbox_id; uids (b->n of them, may be NULL) get
 * the UIDs given. The batch is empty again after, whatever the result. */
int store_adm_import_append(struct store_conn *sc, const char *user,
    uint64_t mailbox_id, struct store_import_batch *b, uint32_t *uids);

/* One message of a mailbox, as the list gives it. */
struct store_listed {
	uint32_t uid, flags;
	uint64_t internaldate, size;
	uint8_t hash[STORE_BLOBID_LEN];   /* sha256 of the bytes */
	const char *const *keywords;
	size_t nkeywords;
};
typedef int (*store_listed_cb)(void *arg, const struct store_listed *m);
struct store_listed_mbox {
	uint64_t id;
	uint32_t uidvalidity, uidnext;
};
/* Every message of the mailbox in UID order (cb returns nonzero to stop
 * looking: the rest is read and dropped), then its id and UID state. */
int store_adm_msg_list(struct store_conn *sc, const char *user,
    const char *name, store_listed_cb cb, void *arg,
    struct store_listed_mbox *mb);
/* A message's bytes: *fd read-only (the caller closes it), *size. */
int store_adm_body(struct store_conn *sc, const char *user,
    uint64_t mailbox_id, uint32_t uid, int *fd, uint64_t *size);

#endif
