/*
 * schema: the tables of a user's database and of the shard registry.
 * The version is PRAGMA user_version. An older user database is upgraded
 * step by step at open (schema.c, user_upgrade), each step logged; a newer
 * one, or a registry of another version, is refused.
 */
#ifndef CLOISTER_STORE_SCHEMA_H
#define CLOISTER_STORE_SCHEMA_H

#include <sqlite3.h>

#define USER_SCHEMA_VERSION 9
#define REGISTRY_SCHEMA_VERSION 4

/* Per-connection settings, then the tables if the database is new.
 * 0, or -1 (logged). */
int schema_open_user(sqlite3 *db, const char *path);
int schema_open_registry(sqlite3 *db, const char *path);

#endif
