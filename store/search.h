/*
 * search: STORE_SEARCH. The worker's postfix program (store_client.h,
 * enum store_search_op) is decoded with a bounds-checked cursor and
 * compiled to one SQL WHERE clause with bound parameters; strings never
 * become SQL text. Sort keys become an ORDER BY with UID as the last tie
 * breaker (RFC 5256). A search of one mailbox runs in slices (slice.h):
 * it scans the mailbox in UID order a few milliseconds per turn, so a
 * costly search holds nobody else; the text it scans is counted against
 * the request's budget (search-scan-max) across its slices.
 */
#ifndef CLOISTER_STORE_SEARCH_H
#define CLOISTER_STORE_SEARCH_H

#include "search_fn.h"

#endif
