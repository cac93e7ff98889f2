/* push_net: the blocking-with-a-deadline socket steps the push sender's
 * two TCP clients share (push_send.c to push services, push_dns.c to the
 * resolvers). */
#ifndef CLOISTER_PUSH_NET_H
#define CLOISTER_PUSH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Milliseconds of CLOCK_MONOTONIC. */
long push_now_ms(void);
/* Wait until fd is ready for events (POLLIN/POLLOUT); false when the
 * deadline (push_now_ms() time) passed first. */
bool push_wait_fd(int fd, short events, long deadline);
/* A non-blocking TCP socket connected to addr before deadline, or -1. */
int push_connect(const struct sockaddr *addr, socklen_t alen,
    long deadline);

#endif
