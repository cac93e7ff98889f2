/*
 * jmap_sieve: what the SieveScript methods (RFC 9661) share. The store
 * keeps a user's scripts by name (store_sieve_*, the same ones ManageSieve
 * uses); JMAP ids must outlive a rename, so jmapd keeps the name -> id map
 * in a per-user document (JMAP_SIEVE_KEY, jmap_userobj.h):
 *   {"next": n, "ids": {"<name>": "S<k>", ...}}
 * A script made by another protocol gets its id when JMAP first lists it;
 * one renamed by another protocol is a new script to JMAP. A script's
 * blobId is "G" and the SHA-256 of its source: the id an upload of the
 * same bytes has, and what the download route looks the source up by.
 */
#ifndef CLOISTER_JMAP_SIEVE_H
#define CLOISTER_JMAP_SIEVE_H

#include "jmap_blob.h"
#include "jmap_getset.h"
#include "jmap_userobj.h"
#include "sieve.h"

/* No script is longer than the compiler takes. */
#define SIEVE_SRC_MAX SIEVE_MAX_SCRIPT

struct jmap_sieve_script {
	char id[JMAP_ID_MAX];
	char name[STORE_SIEVE_NAME_MAX + 1];
	bool active;
	uint64_t size;
};

struct jmap_sieve_list {
	struct jmap_sieve_script *v;
	size_t n, cap;
};

/* The user's scripts, each with its id (names new to the map get one and
 * the map is saved; names gone leave it). STORE_OK or a store error. */
int jmap_sieve_list_load(struct jmap_call *c, struct jmap_sieve_list *l);
void jmap_sieve_list_free(struct jmap_sieve_list *l);
/* The script of id (or of "#creationId"), NULL if none. */
const struct jmap_sieve_script *jmap_sieve_by_id(const struct jmap_call *c,
    const struct jmap_sieve_list *l, const char *id);
const struct jmap_sieve_script *jmap_sieve_by_name(
    const struct jmap_sieve_list *l, const char *name);
/* The active script, NULL if none. */
const struct jmap_sieve_script *jmap_sieve_active(
    const struct jmap_sieve_list *l);

/* Change the id map: name gets id (id NULL: a new one, copied into
 * new_id), old_name (may be NULL) leaves it. The save also moves the
 * user's state, so every change of scripts is seen in /get's state.
 * STORE_OK or a store error. */
int jmap_sieve_map_set(struct jmap_call *c, const char *name,
    const char *id, const char *old_name, char new_id[JMAP_ID_MAX]);

/* The blob id of source bytes ("G" + SHA-256 hex). */
void jmap_sieve_blobid(const void *src, size_t len,
    char out[JMAP_BLOBID_MAX]);

/* The source of the user's script whose blob id is G + id into out
 * (the download route): STORE_OK, STORE_E_NOTFOUND or a store error. */
int jmap_sieve_source_by_blob(struct store_conn *sc,
    const uint8_t id[STORE_BLOBID_LEN], struct buf *out);

/* The bytes of the user's blob (an upload) into out, at most max:
 * 0; -1 no such blob; -2 larger than max; -3 a store error (*rc). */
int jmap_sieve_blob_read(struct jmap_call *c, const char *blobid,
    uint64_t max, struct buf *out, int *rc);

/* maxSizeScript: the store's sieve-max-script-size, at most what the
 * compiler takes. */
uint64_t jmap_sieve_max_size(const struct jmap_call *c);

/* Compile src into prog: NULL, or an invalidSieve SetError whose
 * description is the compiler's "line L, column C: message". */
json_t *jmap_sieve_compile(const struct buf *src, struct buf *prog);

/* A script name as the store takes it: 1..STORE_SIEVE_NAME_MAX bytes,
 * no control character, no '/'. */
bool jmap_sieve_name_ok(const char *name);

#endif
