/*
 * worker: the skeleton every process cloisterd starts goes through, so that
 * every main reads the same way, top to bottom (docs/workers.md):
 *
 *   worker_start()      the fixed environment, argv and config
 *                       (worker_load), the log, the role check
 *   ...                 load what the service needs: libraries, keys,
 *                       certificates, options (nothing from a client)
 *   worker_confine()    keep the role's fds (worker_keep_fds) and the ones
 *                       the process opened itself, then the policy's sandbox
 *   worker_ready()      CTL_READY: from now on a death is a restart
 *   worker_take_conn()  connection role only: the one client (CTL_CONN)
 *   ...                 serve
 *   worker_exit()       flush the stats, then _exit
 */
#ifndef CLOISTER_WORKER_H
#define CLOISTER_WORKER_H

#include "config.h"
#include "fds.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct ipc_msg;

/* The argv cloisterd gives every process it starts (fds.h). */
struct worker_args {
	const char *config_path;
	const char *service;
	uint64_t instance;
	unsigned shard;          /* role store: which shard (0 otherwise) */
	uid_t uid;               /* --uid/--gid: this instance's own ids from */
	gid_t gid;               /* the supervisor; 0: the policy's user */
	bool foreground;
};

/* The well-known fds of fds.h, as a set: which of them a role holds. */
#define WORKER_FD_LOG     0x01u   /* CLOISTER_FD_LOG */
#define WORKER_FD_STATS   0x02u   /* CLOISTER_FD_STATS */
#define WORKER_FD_CONTROL 0x04u   /* CLOISTER_FD_CONTROL */
#define WORKER_FD_AUTH    0x08u   /* CLOISTER_FD_AUTH, with 'set auth yes' */
#define WORKER_FD_EXTRA   0x10u   /* CLOISTER_FD_EXTRA */
#define WORKER_FD_STORE   0x20u   /* CLOISTER_FD_STORE(i), one per shard */
#define WORKER_FD_LISTEN  0x40u   /* CLOISTER_FD_LISTEN(i), one per listen */
#define WORKER_FD_KEYD    0x80u   /* CLOISTER_FD_KEYD, with 'set keyd yes' */

/* Room for every well-known fd and the fds a process opened itself
 * (stored's epoll fd, cloister-snmpd's AgentX session). */
#define WORKER_OWN_FDS_MAX 32
#define WORKER_KEEP_MAX (6 + CLOISTER_MAX_SHARDS + CLOISTER_MAX_LISTENERS + \
    WORKER_OWN_FDS_MAX)

/* What the skeleton keeps of the start: copies, so that a worker may free
 * its config before it confines (imapd does, for memory per session). */
struct worker {
	struct worker_args args;         /* argv: instance, ids, shard */
	char service[CONFIG_NAME_MAX];
	enum config_role role;
	char policy[CONFIG_PATH_MAX];    /* absolute path of its policy file */
	size_t nlisteners;               /* the service's listen lines */
	unsigned store_shards;           /* the config's store-shards */
	bool auth;                       /* connection role: 'set auth yes' */
	bool keyd;                       /* connection role: 'set keyd yes' */
};

/* The client the supervisor handed over (CTL_CONN, docs/workers.md). */
struct worker_conn {
	int fd;                          /* the client socket; the caller's */
	uint32_t listener;               /* index into the listen lines */
	struct sockaddr_storage peer, local;
	socklen_t peerlen, locallen;     /* 0: not known */
};

/* Make the environment the fixed one cloisterd gives (PATH, LANG=C, the
 * sanitizer's options in a sanitizer build), then worker_load(); die unless
 * the service's role is role (the binary's own). cfg is filled and stays
 * the caller's; *svc points into it. */
void worker_start(struct worker *w, int argc, char **argv, const char *ident,
    enum config_role role, struct config *cfg,
    const struct config_service **svc);

/* Parse argv (--config --service --instance [--shard] [--uid --gid]
 * [--foreground]), open the log on CLOISTER_FD_LOG (or stderr, started by
 * hand; opening it loads the time zone, once, while /etc/localtime can be
 * read: log.c), load the config and find the service. Dies with a message
 * on any error. worker_start() without its checks: for the test stand-in
 * that plays every role. */
void worker_load(int argc, char **argv, const char *ident,
    struct worker_args *wa, struct config *cfg,
    const struct config_service **svc);

/* The well-known fds role holds (WORKER_FD_*). */
unsigned worker_role_fds(enum config_role role);

/* The fd numbers w keeps across the sandbox, derived from its role, its
 * shards and listeners; keep has room for WORKER_KEEP_MAX. The count. */
size_t worker_keep_fds(const struct worker *w, int *keep);

/* Confine under w's policy keeping the role's fds and own[0..nown) (fds
 * the process opened itself); returns only when every step took effect. */
void worker_confine(const struct worker *w, const int *own, size_t nown);

/* Tell cloisterd the worker is confined and able to serve (CTL_READY). */
void worker_ready(void);

/* Decode m as the CTL_CONN record: u32 listener (< nlisteners), bytes peer
 * and bytes local address (each at most a sockaddr_storage), nothing after,
 * and a socket attached. 0, or -1 for anything else (m->fd stays open). */
int worker_conn_decode(const struct ipc_msg *m, size_t nlisteners,
    struct worker_conn *out);

/* Wait on fd 5 for the one CTL_CONN. At EOF (cloisterd retired this spare)
 * the process exits 0; any other record is fatal. */
void worker_take_conn(const struct worker *w, struct worker_conn *out);

/* The one way a worker ends: stats flushed, then _exit, so that no exit
 * handler or destructor (OpenSSL's, sqlite's) runs inside the sandbox and
 * asks for syscalls the policy has no reason to allow. */
void worker_exit(int status) __attribute__((noreturn));

#endif
