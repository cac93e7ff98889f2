/*
 * blob: JMAP uploads (RFC 8620 section 6.1) on the store side. An upload
 * is a file of the user's content-addressed store (msgfile.h: the same
 * directory and SHA-256 names as messages, so an upload of a message's
 * bytes has that message's blob id) and a row of the user's upload table
 * with its size and expiry. Its bytes are charged to the user's storage
 * quota until it expires; expired rows are swept (their charge given
 * back, their file unlinked unless a message holds the same bytes) by
 * the next upload or append from a blob of the user.
 */
#ifndef CLOISTER_STORE_BLOB_H
#define CLOISTER_STORE_BLOB_H

#include <stdint.h>

#include "msgfile.h"

struct udb;

/* How long an upload is kept: stored's option upload-ttl (seconds,
 * default a day; RFC 8620 asks for at least an hour). */
#define UPLOAD_TTL_DEFAULT (24 * 3600)
#define UPLOAD_TTL_MAX (30 * 24 * 3600)
extern uint32_t upload_ttl_s;
/* What an upload is charged at least: a file and a row cost a block
 * whatever the size, so tiny uploads cannot make files without bound. */
#define UPLOAD_MIN_CHARGE 4096
/* Expired uploads one sweep handles (the rest wait for the next). */
#define UPLOAD_SWEEP_MAX 64

/* Does an upload row name hash (expired or not: its file stays until
 * the sweep)? 1 yes, 0 no, negative IPC error. */
int upload_holds(struct udb *d, const uint8_t hash[MSGFILE_HASH_LEN]);

/* May the user read hash: the content of one of its messages or an
 * unexpired upload? 1, 0 or a negative IPC error. */
int blob_of_user(struct udb *d, const uint8_t hash[MSGFILE_HASH_LEN]);

#endif
