/*
 * sv: cloisterd's internal types, shared by its files (one concern each):
 *   main.c     args, daemon, signals, the event loop, shutdown
 *   state.c    the shared state (struct sv), the clock, the epoll set
 *   runtime.c  the config file's bytes, the files of RUNTIME_DIR
 *   check.c    the supervisor's own config checks and tunables
 *   listen.c   binding and closing listeners (TCP v4/v6, unix)
 *   spawn.c    fork + exec, each role with its fds at the numbers of fds.h
 *   ids.c      each worker instance's own uid/gid, the range's host lock
 *   netns.c    the one empty network namespace the workers share
 *   statetab.c the per-service state x event table, as data
 *   service.c  runs that table; processes, reaping, backoff, stop
 *   reload.c   the services of a config generation, at start and SIGHUP
 *   pool.c     pre-forked spares, accept, limits, CTL_CONN handoff
 *   wire.c     control channels: the ticket key, CTL_PEER/CTL_CLIENT queues
 *   admin.c    the per-shard admin sockets
 *   sessions.c each connection worker's client and user; status, who, kick
 *   ctlsock.c  the supervisor's own admin socket (cloisterctl status ...)
 *   stats.c    stats records in, aggregates out
 *   logchan.c  each worker's log channel: cap, rate, scrub, its identity
 *   logfile.c  log-file and log-syslog: where lines go, reopened on signal
 *   relay.c    submitd's one relay connection, connected here, passed on
 *   relogin.c  fresh authd and store channels for a re-login (CTL_RELOGIN)
 *   store_chan.c submitd's fresh channel to a restarted store shard
 * Reference: docs/supervisor.md. Nothing here parses a byte from the
 * network or from a worker beyond a fixed-size, checked stats record, a
 * compared CTL_READY (and CTL_RELOGIN_ASK; CTL_STORE_ASK's checked
 * shard number), authd's CTL_LOGGED_IN (header and length byte
 * compared; the user kept as opaque bytes, escaped when printed), and log
 * lines it copies (capped, scrubbed) without looking inside beyond their
 * level byte. Root's admin socket (ctlsock.c) is read with the IPC codec.
 */
#ifndef CLOISTER_SV_H
#define CLOISTER_SV_H

/* the libc headers most of these files use, once here */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "config.h"
#include "ipc.h"
#include "fds.h"
#include "log.h"
#include "stats.h"

#define SV_KEY_SIZE 32
#define SV_IP_BUCKETS 256
#define SV_NFDS (CLOISTER_FD_SECCOMP + 1)   /* the highest well-known fd */
#define SV_ACCEPT_BATCH 64       /* accepts per listener per wakeup */
#define SV_IDS_LOCK_DIR "/run/cloister-worker-uids"   /* one lock file per
                                    running cloisterd's worker-uids range */
#define SV_WHO_MAX 64            /* "service/instance[pid]" */
#define SV_SPIN_MAX 10           /* restarts after CTL_READY per service per
                                    second before the next one waits */
#define SV_SPAWN_BATCH 4         /* spawns per service per turn of the loop:
                                    accepts (and refusals) are not held up */

struct sv_service;

/* What an epoll event points at: the handler to call, and its arguments. */
struct sv_watch {
	void (*fn)(struct sv_service *svc, unsigned arg);
	struct sv_service *svc;
	unsigned arg;            /* listener index or slot (shard) index */
};

struct sv_listener {
	struct sv_watch w;
	int fd;
	struct config_listener cfg;
};

/* A control message waiting for room in a singleton's socket. */
struct sv_qmsg {
	struct sv_qmsg *next;
	uint32_t type, len;
	int fd;
	uint8_t payload[64];
};

struct sv_proc {
	pid_t pid;
	uid_t uid;               /* its own uid (= gid), given back at reaping */
	uint64_t instance;
	struct sv_service *svc;
	unsigned slot;
	int ctl;                 /* our end of its control channel, or -1 */
	bool busy;               /* connection worker: has its client */
	bool retiring;           /* we asked it to go: its exit is no failure */
	bool ready;              /* sent CTL_READY: its exit is no start failure */
	uint64_t peer_deaths;    /* sv.peer_deaths at spawn (see proc_exited) */
	/* submitd: the store process of each shard it has a channel to, and
	 * its asks for a fresh one this second (store_chan.c) */
	uint64_t store_instance[CLOISTER_MAX_SHARDS];
	int64_t store_ask_at;
	unsigned store_asks;
	bool prelogin;           /* busy, its client not logged in (authd says) */
	unsigned relogins;       /* fresh channels granted (relogin.c) */
	unsigned relogin_asks;   /* CTL_RELOGIN_ASKs, granted or not */
	/* the session (sessions.c): for status, who and kick */
	int64_t started;         /* sv_now() at spawn */
	int64_t since;           /* wall clock (s) it got its client, or 0 */
	char client_addr[48];    /* its client's address, as accept(2) gave it */
	uint8_t ulen;            /* bytes of user: authd's CTL_LOGGED_IN, */
	bool has_user;           /* opaque, never parsed, escaped to print */
	uint8_t user[IPC_LOGGED_IN_USER_MAX];
	struct sv_watch w_ctl;   /* its control channel (arg: the pid) */
	int log;                 /* our end of its log channel, or -1 */
	struct sv_watch w_log;
	int64_t log_tokens, log_at;   /* token bucket: milli-lines, ms */
	uint64_t log_dropped;    /* lines over the rate, not yet reported */
	uint8_t ip[17];          /* family (0: none) + address, for max-per-ip */
	struct sv_proc *prev, *next;   /* service idle or busy list */
	struct sv_proc *hnext;         /* pid hash chain */
	struct sv_proc *inext;         /* per-IP bucket chain */
	/* pending (pid 0): an admitted client waiting for this worker; peer
	 * stays while busy (authd's CTL_CLIENT again at a re-login) */
	int client;
	unsigned listener;
	socklen_t peerlen;
	struct sockaddr_storage peer;
};

/* Where gauges land; for auth/store/stats roles also one process and its
 * control channel. Connection services have one slot, stored one per shard. */
struct sv_slot {
	uint64_t gauge[SG_GAUGE_MAX];
	struct sv_proc *proc;
	struct sv_qmsg *qhead, *qtail;   /* control messages not sent yet */
	unsigned qlen;
	struct sv_listener admin;   /* store: RUNTIME_DIR/store-admin.N.sock */
};

enum sv_state { SV_STAY, SV_RUNNING, SV_BACKOFF, SV_HELD, SV_STOPPING,
	SV_STOPPED, SV_NSTATES };
enum sv_ready { SV_NOW, SV_SOON, SV_NO };
/* What happens to a service: a start failure (one past restart-burst:
 * FAIL_LIMIT), restarts too fast (SPIN), its timer, a reload that keeps
 * it, stop, and its last process gone while stopping (EMPTY). */
enum sv_event { EV_FAIL, EV_FAIL_LIMIT, EV_SPIN, EV_TIMER, EV_RELOAD, EV_STOP,
	EV_EMPTY, SV_NEVENTS };
/* What a transition does (service.c's act_* functions). */
enum sv_act { ACT_NONE, ACT_BACKOFF, ACT_PAUSE, ACT_HOLD, ACT_RESET,
	ACT_STOP, ACT_KILL, ACT_RELEASE, SV_NACTS };
/* One cell of the state x event table: the next state (SV_STAY: no
 * change) and the action; set marks a cell written out (statetab.c). */
struct sv_cell {
	enum sv_state next;
	enum sv_act act;
	bool set;
};

struct sv_list {
	struct sv_proc *head, *tail;
	unsigned n;
};

struct sv_service {
	struct config_service cfg;
	unsigned index;          /* position in the current config */
	enum sv_state state;
	int64_t created;         /* sv_now() when this generation started it */
	bool auth;               /* connection role: gets an authd channel */
	bool keyd;               /* connection role: gets a keyd channel */
	bool deliver;            /* its policy holds store_deliver: authd is
	                            told so (CTL_PEER_DELIVERY) */
	unsigned max_relogins;   /* 'set max-relogins N': fresh channels per
	                            connection; 0: CTL_RELOGIN_ASK is fatal */
	int filter;              /* its own copy of the tune's filter fd, given
	                            to each worker at CLOISTER_FD_SECCOMP; -1 */
	struct sv_listener lst[CONFIG_MAX_LISTENERS];
	size_t nlst;
	struct sv_slot slot[CLOISTER_MAX_SHARDS];
	unsigned nslots;
	struct sv_list idle;     /* spawned, no client yet: oldest first */
	struct sv_list busy;     /* serving a client, or being retired */
	struct sv_list pending;  /* admitted clients waiting for a new worker */
	unsigned nprelogin;      /* busy workers whose client has not logged in */
	uint64_t prelogin_evictions;   /* closed at max-prelogin */
	struct sv_proc *ipb[SV_IP_BUCKETS];
	int64_t fails[16];       /* times of recent start failures, ms */
	unsigned nfails;
	int64_t timer;           /* backoff end or stop deadline, ms; 0 none */
	/* counters for the aggregate (stats.h) */
	uint64_t counter[ST_COUNTER_MAX];
	uint64_t spawns, exits_ok, exits_error, crashes, restarts, refusals;
	uint64_t start_failures, backoffs;   /* exits before CTL_READY; delays */
	unsigned owed;           /* unexpected deaths not yet replaced */
	int64_t spin_start;      /* ms: the second the restarts below are in */
	unsigned spin;
	struct sv_service *next;
};

/* What check.c derives from a config: the tunables ("set" options,
 * docs/configuration.md), and which services get an authd or keyd channel. */
struct sv_tune {
	unsigned restart_burst;  /* start failures in the window -> held */
	int64_t restart_window;  /* ms */
	int64_t backoff_min, backoff_max, stop_timeout;   /* ms */
	int64_t backoff_max_required;   /* ms: authd, keyd, stored: never held */
	bool auth[CONFIG_MAX_SERVICES];   /* by index: 'set auth yes' */
	bool keyd[CONFIG_MAX_SERVICES];   /* by index: 'set keyd yes' */
	bool deliver[CONFIG_MAX_SERVICES];   /* by index: its policy holds
	                                       the store's delivery right */
	unsigned relogins[CONFIG_MAX_SERVICES];   /* by index: max-relogins */
	int filter[CONFIG_MAX_SERVICES];     /* by index: its seccomp program,
	                                       sealed (filters.c); -1 none */
	unsigned log_rate, log_burst;     /* lines a second, lines at once */
	uint64_t policy_nofile;   /* the largest 'rlimit nofile' of a policy:
	                             a worker cannot raise its own (fdlimit.c) */
};

struct sv {
	struct config *cfg;      /* current generation */
	const char *cfg_path;
	char snapshot[CONFIG_PATH_MAX];   /* the copy workers read */
	struct sv_tune tune;
	struct sv_service *services;
	uint32_t generation;
	int ep, sigfd, devnull;
	bool foreground, stopping;
	int64_t started, stop_deadline, stats_due;
	int reserve_fd;          /* given up to accept-and-close at EMFILE */
	bool more_work;          /* a batch limit left work for the next turn */
	uint64_t next_instance;
	uint64_t peer_deaths;    /* authd, keyd and stored deaths so far */
	uint8_t *key;            /* SV_KEY_SIZE, locked, wiped at exit */
	int agg[2];              /* aggregate pipe to the stats helper (agg[0]) */
	int netns;               /* the workers' empty network namespace, or -1 */
};

extern struct sv sv;

/* state.c */
int64_t sv_now(void);
void sv_epoll(int op, int fd, struct sv_watch *w, uint32_t events);
void sv_close(int *fd);

/* filters.c: each service's seccomp program, sealed in a memfd (tune ->
 * service -> CLOISTER_FD_SECCOMP of each worker) */
struct sandbox_spec;
void sv_filters_init(struct sv_tune *t);
void sv_filter_compile(struct sv_tune *t, unsigned index,
    const struct config_service *cs, const struct sandbox_spec *spec);
void sv_filters_close(struct sv_tune *t);
void sv_filter_take(struct sv_service *s, unsigned index);

/* runtime.c */
int sv_load_config(struct config *c, struct sv_tune *t, char *err,
    size_t errlen);
void sv_write_snapshot(void);
/* RUNTIME_DIR/<name><n> in out; n < 0: no number. */
const char *sv_runtime_path(char out[CONFIG_PATH_MAX], const char *name,
    long n);
/* Write a whole file, atomically (written beside, renamed into place). */
void sv_write_file(const char *path, const void *data, size_t len,
    mode_t mode);

/* check.c */
/* A relay address of submitd's service: 0, or -1 if it is not "A.B.C.D:PORT" or
 * "[V6]:PORT". */
int sv_relay_addr(const char *v, struct sockaddr_storage *ss, socklen_t *len);
int sv_check_config(const struct config *c, struct sv_tune *t, char *err,
    size_t errlen);

/* ids.c */
int sv_ids_check(const struct config *c, char *err, size_t errlen);
int sv_ids_init(const struct config *c, char *err, size_t errlen);
void sv_ids_owner(void);
void sv_ids_release(void);
uid_t sv_ids_take(void);
void sv_ids_give(uid_t uid);

/* netns.c: sets sv.netns (-1, logged, if it cannot) */
void sv_netns_init(void);

/* listen.c */
int sv_listen_open(const struct config_listener *l, int type,
    unsigned backlog, char *err, size_t errlen);
void sv_listen_close(struct sv_listener *l);
bool sv_listen_same(const struct config_listener *a,
    const struct config_listener *b);
int sv_listen_update(int fd, const struct config_listener *n,
    unsigned backlog);
/* TCP_DEFER_ACCEPT on an implicit-TLS listener (off on any other). */
int sv_listen_defer(int fd, const struct config_listener *l,
    unsigned prelogin_timeout);

/* reload.c: sv_reload returns 0, or -1 with why it kept the running
 * generation in err */
int sv_start(char *err, size_t errlen);
int sv_reload(char *err, size_t errlen);

/* ctlsock.c: RUNTIME_DIR/cloisterd.sock, root's status/who/kick/reload */
int sv_ctlsock_open(char *err, size_t errlen);
void sv_ctlsock_close(void);

/* spawn.c */
struct sv_proc *sv_spawn(struct sv_service *s, unsigned slot,
    struct sv_proc *rec);

/* statetab.c */
extern const struct sv_cell sv_state_table[SV_NSTATES][SV_NEVENTS];
extern const char *const sv_state_names[SV_NSTATES];

/* relay.c: submitd's relay connection (CTL_RELAY_ASK -> CTL_RELAY) */
void sv_relay_ask(struct sv_proc *p);
void sv_relay_tick(int64_t now);

/* relogin.c: a logged-in worker's fresh channels (CTL_RELOGIN_ASK ->
 * CTL_RELOGIN) */
void sv_relogin_ask(struct sv_proc *p);

/* store_chan.c: submitd's fresh channel to a restarted store shard
 * (CTL_STORE_ASK -> CTL_STORE_CHAN). Whether rec is an ask (*shard: its
 * shard); answer it; note at spawn which store processes p has channels
 * to. */
bool sv_store_ask_record(const uint8_t *rec, size_t n, unsigned *shard);
void sv_store_ask(struct sv_proc *p, unsigned shard);
void sv_store_chan_spawned(struct sv_proc *p);

/* service.c */
void sv_service_event(struct sv_service *s, enum sv_event ev);
enum sv_ready sv_ready(const struct sv_service *s);
void sv_reap(void);
void sv_tick(int64_t now);
int sv_next_timeout(int64_t now);
struct sv_service *sv_role(enum config_role r);
struct sv_proc *sv_proc_new(struct sv_service *s, struct sv_proc *p,
    pid_t pid, uid_t uid, uint64_t inst, unsigned slot, int ctl);
void sv_proc_retire(struct sv_proc *p, int sig);
bool sv_required(const struct sv_service *s);
struct sv_proc *sv_proc_find(pid_t pid);
void sv_proc_who(const struct sv_proc *p, char out[SV_WHO_MAX]);
void sv_proc_ctl_end(struct sv_proc *p, bool keep);

/* pool.c */
void sv_pool_accept(struct sv_service *s, unsigned li);
void sv_pool_logged_in(uint64_t instance, const uint8_t *user, size_t ulen);
void sv_pool_fill(struct sv_service *s);
void sv_pool_retire_idle(struct sv_service *s);
void sv_pool_forget(struct sv_proc *p);
void sv_pool_drop_pending(struct sv_service *s);
/* p's client logged out on its connection: before login again. */
void sv_pool_prelogin_again(struct sv_proc *p);
/* Whether s is at max-prelogin (with the clients waiting for a worker). */
bool sv_pool_prelogin_full(const struct sv_service *s);

/* wire.c */
int sv_key_init(void);
void sv_wire_key(struct sv_proc *p);
void sv_wire_peer(struct sv_service *peer_svc, unsigned slot,
    const char *name, uint64_t instance, uint32_t flags, int fd);
void sv_wire_client(uint64_t instance, const struct sockaddr *sa,
    socklen_t len);
void sv_wire_flush(struct sv_service *s, unsigned slot);
void sv_wire_drop(struct sv_slot *sl);

/* sessions.c: who each busy connection worker serves, and the text of
 * cloisterctl status and who (escaped, bounded by the caller's buf) */
void sv_session_start(struct sv_proc *p, const struct sockaddr_storage *peer,
    socklen_t plen);
void sv_session_user(struct sv_proc *p, const uint8_t *user, size_t ulen);
void sv_report_status(struct buf *out);
void sv_report_who(struct buf *out);
/* Retire (SIGTERM) every busy worker logged in as user; how many. */
unsigned sv_kick(const uint8_t *user, size_t ulen);

/* admin.c */
int sv_admin_open(struct sv_service *s, unsigned shard, char *err,
    size_t errlen);
void sv_admin_accept(struct sv_service *s, unsigned shard);

/* fdlimit.c: the open-file limit the services' max-processes need */
rlim_t sv_fd_need(const struct config *c, const struct sv_tune *t);
void sv_fd_limit(const struct config *c, const struct sv_tune *t);

/* logchan.c */
int sv_log_open(int *worker_end);
void sv_log_attach(struct sv_proc *p, int fd);
void sv_log_detach(struct sv_proc *p);
void sv_log_tick(void);
int sv_logfile_start(const struct config *c, char *err, size_t errlen);
void sv_logfile_reopen(void);

/* stats.c */
void sv_stats_record(struct sv_proc *p, const void *d, size_t n);
void sv_stats_publish(void);

#endif
