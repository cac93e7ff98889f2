/* jmap_email_collapse: collapseThreads over a store search result. */
#ifndef CLOISTER_JMAP_EMAIL_COLLAPSE_H
#define CLOISTER_JMAP_EMAIL_COLLAPSE_H

#include "store_client.h"

/* Keep only the first email of each thread in r->emailids (in order).
 * mbox: the one mailbox every result is in, or 0 (every mailbox is
 * read). STORE_OK or the store's error. */
int jmap_collapse_threads(struct store_conn *sc, uint64_t mbox,
    struct store_search_result *r);

#endif
