/*
 * jmap_blob: blob ids. A message is "G" and the 64 hex digits of its
 * content id (the store's SHA-256); one of its parts is that followed by
 * "P" and the part's partId ("G<hex>P3"), the part's content with its
 * transfer encoding undone. The download route reads the message from
 * the store by the content id and, for a part, cuts the part out here.
 */
#ifndef CLOISTER_JMAP_BLOB_H
#define CLOISTER_JMAP_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store_proto.h"

#define JMAP_BLOBID_MAX (2 + 2 * STORE_BLOBID_LEN + 12)

/* The blob id of a message (part 0) or of part number part (>= 1). */
void jmap_blobid_fmt(char buf[JMAP_BLOBID_MAX],
    const uint8_t id[STORE_BLOBID_LEN], uint32_t part);

/* A blob id back: the content id, and the part (0: the whole message).
 * False if s is not one. */
bool jmap_blobid_parse(const char *s, uint8_t id[STORE_BLOBID_LEN],
    uint32_t *part);

/* Part `part` of the message msg (len bytes), decoded, appended to out;
 * its media type ("image/png") into type. -1 if there is no such part
 * or out is full. */
int jmap_blob_part(const uint8_t *msg, size_t len, uint32_t part,
    struct buf *out, char *type, size_t typesz);

/* The whole blob behind fd (size bytes) into a new buffer (*out, the
 * caller frees it). -1 if size is over max, on a short read or with no
 * memory. */
int jmap_blob_read(int fd, uint64_t size, uint64_t max, uint8_t **out);

#endif
