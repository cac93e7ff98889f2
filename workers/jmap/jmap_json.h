/*
 * jmap_json: JSON Pointer (RFC 6901) with JMAP's `*` over arrays (RFC 8620
 * section 3.7), the path language of result references.
 */
#ifndef CLOISTER_JMAP_JSON_H
#define CLOISTER_JMAP_JSON_H

#include <jansson.h>
#include <stddef.h>

/* Evaluate path on doc. A new reference to the value, or NULL when the
 * path is malformed or names nothing. A `*` token over an array applies
 * the rest of the path to every item and collects the results in a new
 * array, flattening results that are arrays themselves. *budget counts
 * the values visited and is decremented; at 0 the evaluation fails (a
 * request bounds its references' work with one budget). */
json_t *jmap_pointer_eval(json_t *doc, const char *path, size_t *budget);

#endif
