/*
 * jmap_submission_set: what EmailSubmission/set's files share:
 * jmap_submission_create.c makes one submission, jmap_submission_email.c
 * changes the Emails (onSuccessUpdateEmail, onSuccessDestroyEmail, undo
 * send) through Email/set run inside the call.
 */
#ifndef CLOISTER_JMAP_SUBMISSION_SET_H
#define CLOISTER_JMAP_SUBMISSION_SET_H

#include "jmap_submission.h"

/* Create one submission from obj: NULL and *done (the created object with
 * "_emailId", a new reference), or a SetError (NULL with *pending set: the
 * store is gone). */
json_t *jmap_submission_create(struct jmap_call *c, json_t *obj,
    json_t **done, json_t **pending);

/* Undo send: the Email back in the Drafts mailbox, with $draft. Best
 * effort: an Email destroyed since has nowhere to go. */
void jmap_submission_back_to_drafts(struct jmap_call *c, json_t *email_id);

/* onSuccessUpdateEmail (upd: submission id or #creationId -> Email patch)
 * and onSuccessDestroyEmail (del: those ids) for the submissions this call
 * changed (emails: submission id -> emailId): one Email/set, its response
 * added after the call's (c->extra). */
void jmap_submission_on_success(struct jmap_call *c, json_t *emails,
    json_t *upd, json_t *del);

#endif
