/*
 * jmap_email_header: the Email properties that show header fields as the
 * client asks (RFC 8621 section 4.1.2-4.1.3): "headers" (every field,
 * raw) and "header:{name}[:as{Form}][:all]" with the forms Raw, Text,
 * Addresses, GroupedAddresses, MessageIds, Date and URLs.
 */
#ifndef CLOISTER_JMAP_EMAIL_HEADER_H
#define CLOISTER_JMAP_EMAIL_HEADER_H

#include <jansson.h>
#include <stdbool.h>

#include "mime.h"

/* Is prop a header property the server can answer? */
bool jmap_header_prop_ok(const char *prop);

/* Add every header property of props to obj, from the header of part
 * (0: the message's). */
void jmap_headers_add(json_t *obj, const struct mime_msg *m, uint32_t part,
    json_t *props);

#endif
