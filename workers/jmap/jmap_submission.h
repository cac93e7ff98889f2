/*
 * jmap_submission: EmailSubmission (RFC 8621 section 7). A submission is
 * the user's own outbox entry in stored (store_outbox_submit), which
 * keeps the JMAP fields the outbox has no column for (identityId,
 * emailId, threadId, the envelope's parameters) as opaque meta; submitd
 * sends it at its send_at. jmap_submission.c: get, changes, query,
 * queryChanges; jmap_submission_set.c: set (create, cancel = undo send,
 * destroy, onSuccessUpdateEmail/onSuccessDestroyEmail).
 */
#ifndef CLOISTER_JMAP_SUBMISSION_H
#define CLOISTER_JMAP_SUBMISSION_H

#include "jmap_getset.h"

/* EmailSubmission ids: 'S' and the outbox id. */
#define JMAP_SUBMISSION_ID 'S'

/* The user's submissions as EmailSubmission objects (a new array: with
 * since 0 the visible ones, else those changed after it), each with
 * "_created" (made after since) and "_gone" (destroyed), which /get's
 * property filter drops; *state the state they are at.
 * STORE_OK or a store error. */
int jmap_submissions_load(struct jmap_call *c, uint64_t since, json_t **list,
    uint64_t *state);

/* Another method run inside this one (its arguments: a new reference
 * taken over); its response, or NULL and *err. */
json_t *jmap_submission_inner(struct jmap_call *c, jmap_method_fn fn,
    json_t *args, json_t **err);

json_t *jmap_submission_get(struct jmap_call *c, json_t **err);
json_t *jmap_submission_changes(struct jmap_call *c, json_t **err);
json_t *jmap_submission_query(struct jmap_call *c, json_t **err);
json_t *jmap_submission_query_changes(struct jmap_call *c, json_t **err);
json_t *jmap_submission_set(struct jmap_call *c, json_t **err);

#endif
