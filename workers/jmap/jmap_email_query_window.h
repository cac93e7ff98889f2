/* jmap_email_query_window: Email/query's window arguments and answer. */
#ifndef CLOISTER_JMAP_EMAIL_QUERY_WINDOW_H
#define CLOISTER_JMAP_EMAIL_QUERY_WINDOW_H

#include "jmap_getset.h"

/* position, anchor, anchorOffset, limit, collapseThreads as a store
 * window; false: *err (invalidArguments). *anchor_unknown: the anchor is
 * no email id at all (anchorNotFound without asking the store). */
bool jmap_email_window(struct jmap_call *c, struct store_email_window *w,
    bool *anchor_unknown, json_t **err);
/* The Email/query response for the page stored sent. */
json_t *jmap_email_page_response(struct jmap_call *c,
    const struct store_search_result *r, const char *state);

/* Email/query's filter and sort (c->args) run over window w: *r the
 * page, state the user's state read just before the store ran it.
 * anchor_unknown: anchorNotFound once filter and sort are checked.
 * False: *err set. */
bool jmap_email_query_run(struct jmap_call *c,
    const struct store_email_window *w, bool anchor_unknown,
    char state[JMAP_ID_MAX], struct store_search_result *r, json_t **err);

#endif
