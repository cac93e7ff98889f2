/*
 * netns: an empty network namespace for a confined process. Sockets it
 * already holds (the client connection, socketpairs, a connected AgentX
 * socket, a listener) stay in the namespace they were made in and keep
 * working; a socket it makes now sees only a loopback that is down, and
 * abstract unix socket names are per namespace too.
 *
 * Under cloisterd the namespace is the one it made at start and handed
 * over as CLOISTER_FD_NETNS (fds.h): joining it (setns) costs a few
 * microseconds, where a namespace of its own costs ~0.7 ms to make and
 * more for the kernel to tear down after the process exits. Sharing it
 * is safe because no confined process holds a capability (nobody can
 * bring its loopback up or add an interface) and Landlock scopes
 * abstract unix sockets and signals to each process. A process started
 * without that fd (by hand, the probe, the unit tests) makes its own.
 */
#include "layers.h"
#include "fds.h"
#include "log.h"

#include <errno.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Join the namespace cloisterd handed over, and close its fd either way:
 * it must not outlive confinement. false if there is none (the fd is not
 * open, or is not a network namespace: then it is left alone) or it
 * could not be joined. */
static bool
join_shared_netns(const struct sandbox_spec *s)
{
	int fd = CLOISTER_FD_NETNS;
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
		return false;
	int r = setns(fd, CLONE_NEWNET);
	int err = errno;
	close(fd);
	if (r < 0)
		log_warn("sandbox %s: cannot join cloisterd's network namespace"
		    " (setns: %s); making its own", s->service, strerror(err));
	return r == 0;
}

void
sandbox_enter_empty_netns(const struct sandbox_spec *s, char *desc,
    size_t len)
{
	if (s->host_network) {
		snprintf(desc, len, "netns host");
		return;
	}
	if (s->skip_layers & SANDBOX_SKIP_NETNS) {
		snprintf(desc, len, "netns skipped");
		return;
	}
	if (join_shared_netns(s)) {
		snprintf(desc, len, "netns shared");
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
