/*
 * agentx: cloister-snmpd as an AgentX subagent (RFC 2741) of the system's
 * snmpd, through net-snmp's agent library. Built only with the meson
 * feature `snmp`.
 *
 * agentx_start() runs before the helper confines itself: it connects to the
 * master's socket, opens the AgentX session and registers the CLOISTER-MIB
 * subtree under the configured enterprise OID. net-snmp's own recovery is
 * off: no ping alarm, no reconnection (either would call socket() behind the
 * seccomp filter), no config or persistent files, no SIGALRM. After
 * confinement the helper's poll loop drives the session: agentx_pollfds()
 * gives the fds net-snmp watches, agentx_handle() reads them and runs
 * net-snmp's timers. When the master goes away or sends anything the guard
 * (agentx_guard.h) refuses, agentx_alive() turns false and the helper exits;
 * the supervisor restarts it, and the new process reconnects.
 */
#ifndef CLOISTER_SNMPD_AGENTX_H
#define CLOISTER_SNMPD_AGENTX_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "mibview.h"

#define AGENTX_MAX_FDS 16

/* Connect and register; false (logged) if the master cannot be reached
 * or refuses the session. view: what GET/GETNEXT answer from, read at
 * each request (the caller rebuilds it in place). */
bool agentx_start(const char *socket, const struct mibview *view);
/* The fds net-snmp holds (AgentX socket, its internal callback pipes):
 * the keep list for policy_confine. Returns the count. */
size_t agentx_fds(int *fds, size_t max);
size_t agentx_pollfds(struct pollfd *pfd, size_t max, int *timeout_ms);
void agentx_handle(const struct pollfd *pfd, size_t n);
bool agentx_alive(void);
/* Why the session ended ("" while alive). */
const char *agentx_why(void);

#endif
