/*
 * schema: the tables of a user's database and of the shard registry.
 * SCHEMA_VERSION is PRAGMA user_version; a database of another version is
 * refused (no silent migration).
 */
#ifndef CLOISTER_STORE_SCHEMA_H
#define CLOISTER_STORE_SCHEMA_H

#include <sqlite3.h>

#define SCHEMA_VERSION 1

/* Per-connection settings, then the tables if the database is new.
 * 0, or -1 (logged). */
int schema_open_user(sqlite3 *db, const char *path);
int schema_open_registry(sqlite3 *db, const char *path);

#endif
