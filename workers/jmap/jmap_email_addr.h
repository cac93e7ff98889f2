/*
 * jmap_email_addr: an address header as the store keeps it (decoded text
 * as written: `"Doe, J." <j@example.com>, k@example.net`) into JMAP
 * EmailAddress objects ({"name", "email"}), and message-id lists
 * (`<a@b> <c@d>`) into arrays of ids. Both read untrusted bytes.
 */
#ifndef CLOISTER_JMAP_EMAIL_ADDR_H
#define CLOISTER_JMAP_EMAIL_ADDR_H

#include <jansson.h>
#include <stddef.h>

/* An array of EmailAddress (a new reference; NULL when the header is
 * empty or memory ran out). Groups are flattened to their members. */
json_t *jmap_addr_list(const char *p, size_t n);

/* An array of the <...> ids of p (NULL when there is none). */
json_t *jmap_msgid_list(const char *p, size_t n);

#endif
