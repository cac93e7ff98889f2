/*
 * fds: the fixed fd numbers every worker finds at exec, and the argv the
 * supervisor gives it. One table, shared by cloisterd (which sets them up
 * with dup2 before exec) and the workers (which keep exactly these across
 * the sandbox: worker_keep_fds() in common/worker.c derives each role's
 * from "who gets it"). Documented in docs/workers.md. Each worker also runs in
 * a session of its own with a fixed environment (PATH, LANG=C).
 *
 *   fd  name                   who gets it        what it is
 *   0   -                      everyone           /dev/null
 *   1   -                      everyone           /dev/null
 *   2   -                      everyone           the same log channel as fd 3
 *   3   CLOISTER_FD_LOG        everyone           its own log channel: SOCK_DGRAM socketpair, non-blocking (log.h)
 *   4   CLOISTER_FD_STATS      everyone           the same log channel again, for fixed-size stats records
 *   5   CLOISTER_FD_CONTROL    everyone           SOCK_SEQPACKET from the supervisor: keys, peers, connections;
 *                                                 the worker sends one CTL_READY there once confined
 *   6   CLOISTER_FD_AUTH       imapd, jmapd       SOCK_SEQPACKET to authd
 *   7   CLOISTER_FD_EXTRA      per service        snmpd-helper: the supervisor's aggregate stats pipe (read end)
 *   8.. CLOISTER_FD_STORE(i)   imapd jmapd lmtpd  SOCK_SEQPACKET to store shard i (i < shards)
 *   16.. CLOISTER_FD_LISTEN(i) snmpd-helper       its /metrics listener(s), bound by the supervisor
 *   24  CLOISTER_FD_KEYD       imapd, jmapd,      SOCK_SEQPACKET to cloister-keyd (with 'set keyd yes';
 *                              pushd, submitd     submitd: with relay-auth-user)
 *   25  CLOISTER_FD_NETNS      everyone           the empty network namespace cloisterd made at start;
 *                                                 the sandbox joins it (setns) and closes it, so it
 *                                                 is on no keep list (sandbox/netns.c)
 *   26  CLOISTER_FD_SECCOMP    everyone           the service's seccomp program, compiled by cloisterd:
 *                                                 a sealed memfd, read-only; the sandbox reads and
 *                                                 closes it before it confines (sandbox/filter.c)
 *
 * Client connections are accepted by the supervisor (which enforces the
 * global and per-IP limits before any worker is spent) and handed to an idle
 * pre-forked worker as one CTL_CONN record with the socket attached; the
 * worker serves that one connection and exits.
 *
 * argv: BINARY --config FILE --service NAME --instance ID --uid N --gid N
 *       [--shard N] [--foreground]
 *   --config      the cloisterd config file (the worker reads its own
 *                 section as root, before confining)
 *   --service     the service name in that config
 *   --instance    a 64-bit id unique per spawned process (tickets bind to it)
 *   --uid --gid   this instance's own uid and gid (the same number, from the
 *                 config's worker-uids; no other live process holds it):
 *                 policy_confine drops to them. Started by hand without
 *                 them, a worker runs as its policy's user and group.
 *   --shard       role store only: the shard this stored serves (0..shards-1)
 *   --foreground  started by hand: the log fd is a text stream, not syslog
 *                 datagrams (under cloisterd fd 3 is always a log channel)
 */
#ifndef CLOISTER_FDS_H
#define CLOISTER_FDS_H

#define CLOISTER_FD_LOG 3
#define CLOISTER_FD_STATS 4
#define CLOISTER_FD_CONTROL 5
#define CLOISTER_FD_AUTH 6
#define CLOISTER_FD_EXTRA 7
#define CLOISTER_FD_STORE_BASE 8
#define CLOISTER_MAX_SHARDS 8
#define CLOISTER_FD_STORE(i) (CLOISTER_FD_STORE_BASE + (i))
#define CLOISTER_FD_LISTEN_BASE 16
#define CLOISTER_MAX_LISTENERS 8
#define CLOISTER_FD_LISTEN(i) (CLOISTER_FD_LISTEN_BASE + (i))
#define CLOISTER_FD_KEYD 24
#define CLOISTER_FD_NETNS 25
#define CLOISTER_FD_SECCOMP 26

#endif
