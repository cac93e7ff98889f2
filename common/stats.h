/*
 * stats: the fixed-size binary records of the statistics channel.
 *
 * Workers (and authd, stored) write struct stats_record to CLOISTER_FD_STATS,
 * their own log channel (a SOCK_DGRAM socketpair; started by hand, a pipe or
 * /dev/null): each write is one whole record, one datagram. The supervisor
 * takes a datagram that starts with STATS_MAGIC for a record, checks its
 * size, kind and size field, attributes it to the process whose channel it
 * came from (never to a field inside it), and adds it to that process's
 * service's totals; a bad one is dropped alone. It parses nothing else.
 *
 * The supervisor writes struct stats_aggregate records (one per service per
 * period, then one with service_index STATS_GLOBAL) to the snmpd-helper's
 * pipe (CLOISTER_FD_EXTRA there). All integers are host order: both ends are
 * on this machine.
 */
#ifndef CLOISTER_STATS_H
#define CLOISTER_STATS_H

#include <stdbool.h>
#include <stdint.h>

#define STATS_MAGIC 0x434c5332u     /* "CLS2"; bump with any layout change */

/* Counters a worker reports as increments since its last record. */
enum stats_counter {
	ST_CONNECTIONS,      /* client connections served */
	ST_AUTH_OK,          /* successful logins */
	ST_AUTH_FAIL,        /* failed logins */
	ST_COMMANDS,         /* protocol commands */
	ST_BYTES_IN,
	ST_BYTES_OUT,
	ST_ERRORS,           /* protocol errors answered (BAD, 5xx, 4xx) */
	ST_DELIVERIES,       /* lmtpd: messages delivered (per recipient) */
	ST_RECIPIENTS,       /* lmtpd: RCPT accepted */
	ST_REJECTIONS,       /* lmtpd: recipients/messages refused */
	ST_STORE_OPS,        /* stored: requests served */
	ST_STORE_APPENDS,    /* stored: messages appended (incl. deliveries) */
	ST_COUNTER_MAX
};

/* Gauges: stored reports current values (not increments). */
enum stats_gauge {
	SG_USERS,            /* stored: users in its shard */
	SG_MESSAGES,         /* stored: messages in its shard */
	SG_GAUGE_MAX
};

enum stats_kind {
	STATS_KIND_DELTA = 1,   /* counters are increments */
	STATS_KIND_GAUGE = 2,   /* gauges are current values */
};

struct stats_record {
	uint32_t magic;          /* STATS_MAGIC */
	uint16_t kind;           /* enum stats_kind */
	uint16_t size;           /* sizeof(struct stats_record) */
	uint64_t counter[ST_COUNTER_MAX];
	uint64_t gauge[SG_GAUGE_MAX];
};

#define STATS_NAME_MAX 16
#define STATS_GLOBAL 0xffffu

/* Supervisor -> snmpd-helper. The names come from the supervisor's own
 * config, never from a worker. */
struct stats_aggregate {
	uint32_t magic;          /* STATS_MAGIC */
	uint16_t size;           /* sizeof(struct stats_aggregate) */
	uint16_t service_index;  /* 0..n-1, or STATS_GLOBAL */
	char name[STATS_NAME_MAX];   /* NUL-padded service name */
	uint64_t counter[ST_COUNTER_MAX];   /* totals since cloisterd started */
	uint64_t gauge[SG_GAUGE_MAX];       /* latest values */
	uint32_t processes;      /* live processes of the service now */
	uint32_t max_processes;  /* configured maximum */
	uint64_t spawns;
	uint64_t exits_ok;       /* exit status 0 */
	uint64_t exits_error;    /* exit status != 0 */
	uint64_t crashes;        /* killed by a signal */
	uint64_t restarts;       /* respawns after an unexpected death */
	uint64_t refusals;       /* connections refused (limits) */
	uint64_t uptime_s;       /* STATS_GLOBAL: seconds since start */
	uint32_t generation;     /* config generation (SIGHUP count) */
	uint32_t held;           /* 1: held after restart-burst start failures */
	uint64_t start_failures; /* exits before CTL_READY */
	uint64_t backoffs;       /* restarts delayed by a backoff */
};

/* Worker side: add to a local record; flush writes it whole and zeroes it.
 * Both are cheap and safe to call under the seccomp policy (write only). */
void stats_add(enum stats_counter c, uint64_t n);
void stats_set_gauge(enum stats_gauge g, uint64_t v);
void stats_flush(void);
/* Something added since the last flush (a process that flushes at most
 * once a second uses this to wake up for the last record). */
bool stats_pending(void);

#endif
