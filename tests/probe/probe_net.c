/* probe_net: a TCP client worker's network escapes (probe_net.h). */
#include "probe_net.h"

#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PUSHD_TYPE(t) ((t) | SOCK_NONBLOCK | SOCK_CLOEXEC)

int
probe_try_unix_socket(struct probe_ctx *c)
{
	(void)c;
	return socket(AF_UNIX, PUSHD_TYPE(SOCK_STREAM), 0) >= 0;
}

int
probe_try_udp_socket(struct probe_ctx *c)
{
	(void)c;
	return socket(AF_INET, PUSHD_TYPE(SOCK_DGRAM), 0) >= 0;
}

int
probe_try_netlink_socket(struct probe_ctx *c)
{
	(void)c;
	return socket(AF_NETLINK, PUSHD_TYPE(SOCK_RAW), 0) >= 0;
}

static int
tcp_socket(void)
{
	return socket(AF_INET, PUSHD_TYPE(SOCK_STREAM), 0);
}

static struct sockaddr_in
loopback(int port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

int
probe_try_tcp_bind(struct probe_ctx *c)
{
	(void)c;
	int fd = tcp_socket();
	struct sockaddr_in sin = loopback(0);
	return fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
}

int
probe_try_tcp_listen(struct probe_ctx *c)
{
	(void)c;
	int fd = tcp_socket();
	return fd >= 0 && listen(fd, 1) == 0;   /* listen binds by itself */
}

/* Reach the probe's own listener on the host's loopback (a port that is
 * not 443 or 53, reachable in the host's namespace) by connect() or, with
 * fastopen, by a TCP Fast Open sendto(), which connects as it sends: only
 * Landlock's connect rule stands between a `network host` worker and it.
 * Non-blocking: a connect under way means it was allowed. */
static int
reach_other_port(struct probe_ctx *c, bool fastopen)
{
	if (c->tcp_port <= 0)
		return 0;
	int fd = tcp_socket();
	if (fd < 0)
		return 0;
	struct sockaddr_in sin = loopback(c->tcp_port);
	const struct sockaddr *sa = (const struct sockaddr *)&sin;
	long r = fastopen ? (long)sendto(fd, "x", 1, MSG_FASTOPEN, sa,
	    sizeof(sin)) : (long)connect(fd, sa, sizeof(sin));
	if (r >= 0 || errno == EINPROGRESS)
		return 1;
	fprintf(stderr, "cloister-probe: TCP %s to port %d: %s\n", fastopen ?
	    "Fast Open" : "connect", c->tcp_port, strerror(errno));
	return 0;
}

int
probe_try_tcp_fastopen(struct probe_ctx *c)
{
	return reach_other_port(c, true);
}

int
probe_try_tcp_other_port(struct probe_ctx *c)
{
	return reach_other_port(c, false);
}
