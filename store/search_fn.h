/*
 * search_fn: the SQL functions the compiled search queries use (uidin,
 * hdrmatch, textin, textseen/textnote, ASCII_CASEMAP), registered on each
 * user database as it is opened (db.c), below the search itself.
 */
#ifndef CLOISTER_STORE_SEARCH_FN_H
#define CLOISTER_STORE_SEARCH_FN_H

#include <sqlite3.h>

struct idmap;

/* Register the functions on db; 0 or -1. */
int search_register(sqlite3 *db);
/* The memo textseen/textnote use while a search's statement runs (NULL:
 * none, every text is scanned). */
void search_fn_use_memo(struct idmap *m);

#endif
