/*
 * config: the one configuration file of a Cloister installation, read by
 * cloisterd and, for their own section, by each worker (as root, before it
 * confines itself). Reference: docs/configuration.md.
 *
 *   # comment
 *   state-dir     /var/lib/cloister
 *   runtime-dir   /run/cloister
 *   policy-dir    /usr/local/etc/cloister/policy
 *   store-shards  1
 *   worker-uids   2000000000-2000065535   # one uid+gid per live worker
 *   log-file      /var/log/cloister.log   # reopened on SIGUSR1 and SIGHUP
 *   log-syslog    no                      # yes|no|daemon|mail|local0..7
 *   set tls-cert  /etc/cloister/tls/cert.pem      # global option
 *
 *   service imapd {
 *     role          connection                  # connection|auth|store|stats|key
 *     binary        /usr/local/libexec/cloister/cloister-imapd
 *     policy        imapd.policy                # relative to policy-dir
 *     listen imap   tcp 127.0.0.1:1143 starttls # NAME tcp HOST:PORT MODE
 *     listen imaps  tcp [::1]:1993 tls          # MODE: plain|starttls|tls
 *     listen lmtp   unix /run/cloister/lmtp plain owner=postfix group=postfix mode=0660
 *     spares        4
 *     max-processes 1000
 *     max-per-ip    20
 *     backlog       1024
 *     prelogin-timeout 60
 *     set max-literal 50M                       # option for the worker
 *   }
 *
 * Strict: unknown key, duplicate, bad value, missing binary, duplicate
 * service or listener -> "file:line: message" and nothing starts.
 */
#ifndef CLOISTER_CONFIG_H
#define CLOISTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONFIG_NAME_MAX 16     /* service and listener names, incl. NUL */
#define CONFIG_RESERVED_SERVICE "admin"   /* no service may take this name */
#define CONFIG_PATH_MAX 256
#define CONFIG_VALUE_MAX 512
#define CONFIG_MAX_SERVICES 16
#define CONFIG_MAX_LISTENERS 8
#define CONFIG_MAX_OPTIONS 48
#define CONFIG_ERR_MAX 512
/* The default range of per-instance worker ids: high enough to stay clear
 * of system and login users, subordinate ranges (/etc/subuid, from 100000
 * up) and systemd's DynamicUser range (61184-65519). */
#define CONFIG_WORKER_UID_FIRST 2000000000u
#define CONFIG_WORKER_UID_LAST 2000065535u
#define CONFIG_UID_MAX 4294967294u        /* (uid_t)-1 means "no change" */
#define CONFIG_UID_RANGE_MAX (1u << 20)   /* cloisterd keeps a bitmap */

enum config_role {
	ROLE_CONNECTION,  /* pre-forked, one client connection per process */
	ROLE_AUTH,        /* authd: one process */
	ROLE_STORE,       /* stored: one process per shard */
	ROLE_STATS,       /* snmpd-helper: one process */
	ROLE_KEY,         /* keyd: one process, holds the TLS private keys */
	ROLE_SUBMIT,      /* submitd: one process, sends the outbox (relay) */
	ROLE_PUSH,        /* pushd: one process, Web Push to phones */
};

enum config_tls {
	TLS_PLAIN,        /* no TLS (LMTP, loopback-only plaintext IMAP) */
	TLS_STARTTLS,     /* plaintext, STARTTLS offered */
	TLS_IMPLICIT,     /* TLS from the first byte */
};

struct config_option {
	char key[CONFIG_NAME_MAX * 2];
	char value[CONFIG_VALUE_MAX];
	unsigned line;
};

struct config_listener {
	char name[CONFIG_NAME_MAX];
	int family;                  /* AF_INET, AF_INET6 or AF_UNIX */
	char host[64];               /* numeric address (tcp) */
	uint16_t port;               /* tcp */
	char path[108];              /* unix */
	char owner[32], group[32];   /* unix: "" = root */
	unsigned mode;               /* unix: permission bits */
	enum config_tls tls;
	unsigned line;
};

struct config_service {
	char name[CONFIG_NAME_MAX];
	enum config_role role;
	char binary[CONFIG_PATH_MAX];
	char policy[CONFIG_PATH_MAX];   /* absolute after load */
	struct config_listener listeners[CONFIG_MAX_LISTENERS];
	size_t nlisteners;
	unsigned spares;             /* default 2 */
	unsigned max_processes;      /* default 100 */
	unsigned max_per_ip;         /* default 10; 0 = no per-IP limit */
	unsigned backlog;            /* default 4096 */
	unsigned prelogin_timeout;   /* seconds, default 60 */
	unsigned max_prelogin;       /* default 40; 0 = no cap (auth services) */
	struct config_option options[CONFIG_MAX_OPTIONS];
	size_t noptions;
	unsigned line;
};

struct config {
	char path[CONFIG_PATH_MAX];
	char state_dir[CONFIG_PATH_MAX];
	char runtime_dir[CONFIG_PATH_MAX];
	char policy_dir[CONFIG_PATH_MAX];
	unsigned store_shards;       /* default 1 */
	uint32_t uid_first, uid_last;   /* worker-uids: each live worker has
	                                   its own uid (= gid) in this range */
	unsigned uid_line;           /* where worker-uids is set (0: default) */
	char log_file[CONFIG_PATH_MAX];   /* "": none (stderr or syslog) */
	bool log_syslog;             /* log-syslog yes or a facility */
	int log_facility;            /* syslog(3) facility, LOG_DAEMON */
	struct config_option options[CONFIG_MAX_OPTIONS];   /* global "set" */
	size_t noptions;
	struct config_service services[CONFIG_MAX_SERVICES];
	size_t nservices;
};

/* 0 on success; -1 with "file:line: message" in err. */
int config_load(const char *path, struct config *c, char *err, size_t errlen);
int config_parse(const char *name, const char *text, size_t len,
    struct config *c, char *err, size_t errlen);

const struct config_service *config_find_service(const struct config *c,
    const char *name);
/* A service option, falling back to the global one; NULL if unset. */
const char *config_option(const struct config *c,
    const struct config_service *s, const char *key);
/* Typed lookups with a default; -1 (err filled, file:line) on a bad value. */
int config_option_size(const struct config *c, const struct config_service *s,
    const char *key, uint64_t dflt, uint64_t *out, char *err, size_t errlen);
int config_option_bool(const struct config *c, const struct config_service *s,
    const char *key, bool dflt, bool *out, char *err, size_t errlen);
/* A size option that must lie in lo..hi: -1 with "file:line: KEY is
 * LO..HI" (or the bad-size message) in err. */
int config_option_range_check(const struct config *c,
    const struct config_service *s, const char *key, uint64_t dflt,
    uint64_t lo, uint64_t hi, uint64_t *out, char *err, size_t errlen);
/* The same for a worker reading its options before it confines itself:
 * a bad value is fatal (log_fatal), as a worker cannot run without it. */
uint64_t config_option_range(const struct config *c,
    const struct config_service *s, const char *key, uint64_t dflt,
    uint64_t lo, uint64_t hi);

const char *config_role_name(enum config_role r);
const char *config_tls_name(enum config_tls t);

#endif
