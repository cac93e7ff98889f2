/*
 * ctl: the internals of cloisterctl.
 *
 * cloisterctl.c  the command table, argument parsing, usage, exit codes
 * ctl_env.c      the installation it acts on: config, authd's chroot,
 *                realm, runtime dir, shards
 * ctl_sasldb.c   users in sasldb2, written through libsasl2's sasl_setpass
 * ctl_store.c    the store admin channel, one connection per shard
 * ctl_users.c    user / mailbox / quota / freeze commands
 * ctl_tokens.c   app-specific bearer tokens (token add / list / revoke)
 * ctl_admin.c    status / who / kick / reload: cloisterd's admin socket
 * ctl_sieve.c    users' Sieve scripts (compiled here, kept by the store)
 * ctl_sieve_import.c  a Dovecot or Cyrus user's Sieve directory, at once
 * import*.c      import (import.h), export.c: export (migration)
 */
#ifndef CLOISTER_CTL_H
#define CLOISTER_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store_client.h"
#include "ticket.h"

/* Exit codes (docs/cloisterctl.md); sysexits.h values where one fits. */
enum ctl_exit {
	CTL_OK = 0,
	CTL_REFUSED = 1,       /* the operation was refused: exists, no such
	                        * user or mailbox, bad name, over a limit */
	CTL_USAGE = 64,        /* bad command line */
	CTL_UNAVAILABLE = 69,  /* the store cannot be reached (cloisterd?) */
	CTL_SOFTWARE = 70,     /* the store broke the protocol */
	CTL_IOERR = 74,        /* the password database cannot be written */
	CTL_TEMPFAIL = 75,     /* freeze: a shard released before CMD ended */
	CTL_NOPERM = 77,       /* not root */
	CTL_CONFIG = 78,       /* config or policy missing or invalid */
};

struct ctl_env {
	struct config cfg;
	const struct config_service *auth;   /* the role-auth service */
	char auth_root[256];                 /* its chroot (authd.policy) */
	char sasldb[300];                    /* auth_root/sasldb2 */
	char realm[256];                     /* authd's default realm */
	bool no_store;                       /* --no-store */
};

/* A user name split for sasldb2 and named for the store. */
struct ctl_user {
	char name[TICKET_USER_MAX + 1];      /* the account (store, tickets) */
	char id[TICKET_USER_MAX + 1];        /* sasldb2 user id */
	char realm[256];                     /* sasldb2 realm */
};

/* Print "cloisterctl: ..." on stderr; returns code. */
int ctl_fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ctl_env.c */
int ctl_env_load(struct ctl_env *e, const char *config_path);
int ctl_user_parse(const struct ctl_env *e, const char *arg,
    struct ctl_user *u);

/* ctl_sasldb.c: each returns an enum ctl_exit */
int ctl_sasldb_init(struct ctl_env *e);
int ctl_sasldb_exists(const struct ctl_env *e, const struct ctl_user *u,
    bool *exists);
int ctl_sasldb_setpass(const struct ctl_env *e, const struct ctl_user *u,
    const char *password, size_t len);
int ctl_sasldb_delete(const struct ctl_env *e, const struct ctl_user *u);
typedef void (*ctl_sasldb_user_cb)(void *arg, const char *id,
    const char *realm);
int ctl_sasldb_list(const struct ctl_env *e, ctl_sasldb_user_cb cb,
    void *arg);
/* Lock authd's root for a writer (an fd to close, or -1 after the
 * message), and give a file there root:cloister-auth 0640. */
int ctl_auth_lock(void);
int ctl_auth_fix_mode(const char *path);
/* The host FQDN libsasl2 (and saslpasswd2 without -u) uses. */
int ctl_sasl_default_realm(char *out, size_t size);

/* ctl_tokens.c: the token commands */
int ctl_token_add(struct ctl_env *e, int argc, char **argv);
int ctl_token_list(struct ctl_env *e, int argc, char **argv);
int ctl_token_revoke(struct ctl_env *e, int argc, char **argv);
/* Every token of user (user del). */
int ctl_tokens_drop_user(const struct ctl_env *e, const char *user);

/* ctl_store.c */
/* Connect to shard's admin socket; NULL (and a message) if unreachable. */
struct store_conn *ctl_store_connect(const struct ctl_env *e, unsigned shard);
/* An enum ctl_exit for a store_rc, with a message naming what failed. */
int ctl_store_error(struct store_conn *sc, int rc, const char *what);

/* ctl_users.c: the commands; argv starts after the verb */
int ctl_user_add(struct ctl_env *e, int argc, char **argv);
int ctl_user_passwd(struct ctl_env *e, int argc, char **argv);
int ctl_user_del(struct ctl_env *e, int argc, char **argv);
int ctl_user_list(struct ctl_env *e, int argc, char **argv);
int ctl_mailbox_create(struct ctl_env *e, int argc, char **argv);
int ctl_mailbox_delete(struct ctl_env *e, int argc, char **argv);
int ctl_mailbox_rename(struct ctl_env *e, int argc, char **argv);
int ctl_mailbox_list(struct ctl_env *e, int argc, char **argv);
int ctl_mailbox_detail(struct ctl_env *e, int argc, char **argv);
int ctl_quota_get(struct ctl_env *e, int argc, char **argv);
int ctl_quota_set(struct ctl_env *e, int argc, char **argv);
/* ctl_outbox.c */
int ctl_outbox_list(struct ctl_env *e, int argc, char **argv);
int ctl_freeze(struct ctl_env *e, int argc, char **argv);
/* ctl_sieve.c: users' Sieve scripts */
int ctl_sieve_list(struct ctl_env *e, int argc, char **argv);
int ctl_sieve_get(struct ctl_env *e, int argc, char **argv);
int ctl_sieve_put(struct ctl_env *e, int argc, char **argv);
int ctl_sieve_activate(struct ctl_env *e, int argc, char **argv);
int ctl_sieve_deactivate(struct ctl_env *e, int argc, char **argv);
int ctl_sieve_delete(struct ctl_env *e, int argc, char **argv);
int ctl_sieve_check(struct ctl_env *e, int argc, char **argv);
int ctl_sieve_import(struct ctl_env *e, int argc, char **argv);
/* Read path ("-": stdin; a regular file, relative to dirfd, which is
 * AT_FDCWD or a directory where no symlink is followed) into src and
 * compile it into prog: CTL_OK, or an exit code after "PATH: line L,
 * column C: message" on stderr. */
int ctl_sieve_compile(int dirfd, const char *path, struct buf *src,
    struct buf *prog);
/* The admin connection to the shard of the user arg names (u filled);
 * NULL with *rc set. */
struct store_conn *ctl_sieve_conn(struct ctl_env *e, const char *arg,
    struct ctl_user *u, int *rc);
/* import_cmd.c, export.c: migration in and out (docs/migration.md) */
int ctl_import(struct ctl_env *e, int argc, char **argv);
int ctl_export(struct ctl_env *e, int argc, char **argv);

/* ctl_admin.c: cloisterd's admin socket */
int ctl_status(struct ctl_env *e, int argc, char **argv);
int ctl_who(struct ctl_env *e, int argc, char **argv);
int ctl_kick(struct ctl_env *e, int argc, char **argv);
int ctl_reload(struct ctl_env *e, int argc, char **argv);

#endif
