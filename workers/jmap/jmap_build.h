/*
 * jmap_build: the RFC 5322 message of an Email/set create object (RFC 8621
 * section 4.6). A pure function: the caller supplies the time, random
 * bytes and a way to read the blobs that attachments name; the builder
 * reads no socket and no file. The result is CRLF-terminated MIME
 * (headers folded at 78 columns, RFC 2047 encoded-words for non-ASCII
 * text, 7bit / quoted-printable / base64 chosen per part), which the
 * caller parses with workers/shared MIME for the store's metadata.
 *
 * Properties that are about the store (mailboxIds, keywords, receivedAt)
 * are not read here; any property the builder does not know is an
 * invalidProperties error, as is a value of the wrong shape.
 */
#ifndef CLOISTER_JMAP_BUILD_H
#define CLOISTER_JMAP_BUILD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* A blob's bytes for an attachment; the builder copies them. */
struct jmap_build_blob {
	const uint8_t *p;
	size_t n;
	char type[128];                /* its own media type, "" if unknown */
};

/* 0 with *out filled, JMAP_BLOB_NOTFOUND, JMAP_BLOB_TOOLARGE (the blobs
 * would pass the message's size: "tooLarge") or JMAP_BLOB_FAIL (the
 * store failed: the builder stops with type "serverFail"). */
#define JMAP_BLOB_NOTFOUND (-1)
#define JMAP_BLOB_FAIL (-2)
#define JMAP_BLOB_TOOLARGE (-3)
typedef int (*jmap_build_blob_fn)(void *arg, const char *blobid,
    struct jmap_build_blob *out);

#define JMAP_BUILD_RANDOM 16

struct jmap_build_env {
	const char *domain;            /* right side of a generated Message-ID */
	int64_t now;                   /* Date when sentAt is not given */
	uint8_t random[JMAP_BUILD_RANDOM];  /* Message-ID and boundaries */
	jmap_build_blob_fn blob;       /* NULL: every blobId is not found */
	void *blob_arg;
	size_t max_size;               /* the message's largest size */
};

/* Why a create failed: type is a SetError type ("invalidProperties",
 * "blobNotFound", "tooLarge", "serverFail"); property names the first
 * offending property for invalidProperties, blobid the missing blob. */
struct jmap_build_err {
	const char *type;
	char property[128];
	char blobid[128];
};

/* Append the message for the create object email to out. 0 on success;
 * -1 with err filled (out then holds garbage). */
int jmap_build(json_t *email, const struct jmap_build_env *env,
    struct buf *out, struct jmap_build_err *err);

/* Is name a property jmap_build reads (or a store property: mailboxIds,
 * keywords, receivedAt)? The create code checks the rest. */
bool jmap_build_property_known(const char *name);

#endif
