/*
 * netns: an empty network namespace for a confined process. Sockets it
 * already holds (the client connection, socketpairs, a connected AgentX
 * socket, a listener) stay in the namespace they were made in and keep
 * working; a socket it makes now sees only a loopback that is down, and
 * abstract unix socket names are per namespace too.
 */
#include "layers.h"
#include "log.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

void
sandbox_enter_empty_netns(const struct sandbox_spec *s, char *desc,
    size_t len)
{
	if (s->skip_layers & SANDBOX_SKIP_NETNS) {
		snprintf(desc, len, "netns skipped");
		return;
	}
	if (unshare(CLONE_NEWNET) == 0) {
		snprintf(desc, len, "netns empty");
		return;
	}
	/* EINVAL: no CONFIG_NET_NS; EPERM: a container that forbids it;
	 * ENOSPC: user.max_net_namespaces. The other layers still hold. */
	log_warn("sandbox %s: no empty network namespace (unshare: %s);"
	    " running in the supervisor's", s->service, strerror(errno));
	snprintf(desc, len, "no netns");
}
