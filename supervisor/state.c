/* state: cloisterd's one instance of its shared state (struct sv, sv.h),
 * the clock, and the epoll set every file registers its fds in. */
#include "sv.h"

#include <time.h>

struct sv sv = { .next_instance = 1, .netns = -1 };

int64_t
sv_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
sv_epoll(int op, int fd, struct sv_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	if (epoll_ctl(sv.ep, op, fd, &ev) < 0 && op != EPOLL_CTL_DEL)
		log_fatal_errno("epoll_ctl");
}

/* Close a watched fd. Deregister first: a child between fork and exec
 * still holds a copy, which would keep the registration (and a pointer
 * into what we are about to free) alive. */
void
sv_close(int *fd)
{
	if (*fd < 0)
		return;
	epoll_ctl(sv.ep, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}
