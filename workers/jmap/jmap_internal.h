/*
 * jmap_internal: what the API side's files share and the HTTP side never
 * sees: capability names, the session state, the method functions the
 * table lists, and store error mapping.
 */
#ifndef CLOISTER_JMAP_INTERNAL_H
#define CLOISTER_JMAP_INTERNAL_H

#include "jmap_api.h"

#define JMAP_CAP_CORE "urn:ietf:params:jmap:core"
#define JMAP_CAP_MAIL "urn:ietf:params:jmap:mail"
#define JMAP_CAP_SUBMISSION "urn:ietf:params:jmap:submission"
#define JMAP_CAP_VACATION "urn:ietf:params:jmap:vacationresponse"
#define JMAP_CAP_SIEVE "urn:ietf:params:jmap:sieve"

/* The largest encoded response the API side builds (bytes): result
 * references share values, so a few calls could otherwise ask for an
 * answer exponentially larger than their request. */
#define JMAP_MAX_RESPONSE (32u * 1024 * 1024)
/* Values visited by all result references of one request. */
#define JMAP_REF_BUDGET 1000000u

/* Is cap one the server knows (for `using`)? */
bool jmap_capability_known(const char *cap);

/* The Session's state string (also every response's sessionState):
 * changes when what the Session resource says changes. buf >= 17 bytes. */
void jmap_session_state(const struct jmap_account *a, char *buf, size_t n);

/* A store call's failure as a method-level error (a new reference);
 * STORE_E_IO / STORE_E_PROTO also mark c->store_lost. */
json_t *jmap_store_error(struct jmap_call *c, int rc);

/* ---- methods (one data type per file) ---- */
json_t *jmap_core_echo(struct jmap_call *c, json_t **err);
json_t *jmap_mailbox_get(struct jmap_call *c, json_t **err);
json_t *jmap_mailbox_changes(struct jmap_call *c, json_t **err);
json_t *jmap_mailbox_query(struct jmap_call *c, json_t **err);
json_t *jmap_mailbox_set(struct jmap_call *c, json_t **err);
json_t *jmap_email_get(struct jmap_call *c, json_t **err);
json_t *jmap_email_set(struct jmap_call *c, json_t **err);
json_t *jmap_email_changes(struct jmap_call *c, json_t **err);
json_t *jmap_email_query(struct jmap_call *c, json_t **err);
json_t *jmap_thread_get(struct jmap_call *c, json_t **err);
json_t *jmap_thread_changes(struct jmap_call *c, json_t **err);
json_t *jmap_mailbox_query_changes(struct jmap_call *c, json_t **err);
json_t *jmap_email_query_changes(struct jmap_call *c, json_t **err);
json_t *jmap_snippet_get(struct jmap_call *c, json_t **err);
json_t *jmap_email_import(struct jmap_call *c, json_t **err);
json_t *jmap_email_parse(struct jmap_call *c, json_t **err);
json_t *jmap_email_copy(struct jmap_call *c, json_t **err);
json_t *jmap_blob_copy(struct jmap_call *c, json_t **err);
json_t *jmap_identity_get(struct jmap_call *c, json_t **err);
json_t *jmap_identity_changes(struct jmap_call *c, json_t **err);
json_t *jmap_identity_set(struct jmap_call *c, json_t **err);
json_t *jmap_vacation_get(struct jmap_call *c, json_t **err);
json_t *jmap_vacation_set(struct jmap_call *c, json_t **err);
json_t *jmap_sieve_get(struct jmap_call *c, json_t **err);
json_t *jmap_sieve_set(struct jmap_call *c, json_t **err);
json_t *jmap_sieve_query(struct jmap_call *c, json_t **err);
json_t *jmap_sieve_validate(struct jmap_call *c, json_t **err);
json_t *jmap_pushsub_get(struct jmap_call *c, json_t **err);
json_t *jmap_pushsub_set(struct jmap_call *c, json_t **err);

#endif
