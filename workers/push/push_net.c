/* push_net: deadline-bound connect and waits (push_net.h). */
#include "push_net.h"

#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

long
push_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

bool
push_wait_fd(int fd, short events, long deadline)
{
	long left = deadline - push_now_ms();
	struct pollfd p = { .fd = fd, .events = events };
	return left > 0 && poll(&p, 1, (int)left) == 1;
}

int
push_connect(const struct sockaddr *addr, socklen_t alen, long deadline)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, addr, alen) == 0)
		return fd;
	if (errno == EINPROGRESS && push_wait_fd(fd, POLLOUT, deadline) &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
	    soerr == 0)
		return fd;
	close(fd);
	return -1;
}
