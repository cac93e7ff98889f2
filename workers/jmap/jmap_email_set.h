/*
 * jmap_email_set: what Email/set's files share (jmap_email_set.c
 * updates and destroys, jmap_email_set_create.c creates).
 */
#ifndef CLOISTER_JMAP_EMAIL_SET_H
#define CLOISTER_JMAP_EMAIL_SET_H

#include "jmap_email_common.h"

/* A keyword the store can hold: 1..STORE_KEYWORD_MAX bytes of IMAP atom
 * characters; the four system ones map to flags (*flag). */
bool jmap_keyword_ok(const char *k, uint32_t *flag);

/* Expunge every copy of the email (Email/set destroy; a create whose
 * copies could not all be made). */
int jmap_email_expunge(struct store_conn *sc, uint64_t emailid);

/* Create every email of the create map (RFC 8621 section 4.6): the
 * message built by jmap_build, stored like an IMAP APPEND. A store
 * failure that is not the email's goes to *method_err. */
void jmap_email_create(struct jmap_call *c, json_t *create, json_t *created,
    json_t *not_created, json_t **method_err);

#endif
