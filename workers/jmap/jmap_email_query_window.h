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

#endif
