/*
 * search: STORE_SEARCH. The worker's postfix program (store_client.h,
 * enum store_search_op) is decoded with a bounds-checked cursor and
 * compiled to one SQL WHERE clause with bound parameters; strings never
 * become SQL text. Sort keys become an ORDER BY with UID as the last tie
 * breaker (RFC 5256).
 */
#ifndef CLOISTER_STORE_SEARCH_H
#define CLOISTER_STORE_SEARCH_H

#include <sqlite3.h>

struct req;

/* SQL functions the compiled queries use (uidin, hdrmatch); per db. */
int search_register(sqlite3 *db);

#endif
