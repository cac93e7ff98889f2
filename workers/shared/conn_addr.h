/*
 * conn_addr: facts about the client connection a network worker (imapd,
 * jmapd) was handed: whether an address is loopback (plaintext passwords
 * are offered only when both ends are), and making the socket
 * non-blocking.
 */
#ifndef CLOISTER_CONN_ADDR_H
#define CLOISTER_CONN_ADDR_H

#include <stdbool.h>
#include <sys/socket.h>

/* 127.0.0.0/8 or ::1. */
bool conn_addr_loopback(const struct sockaddr_storage *a);
/* O_NONBLOCK on fd; fatal on failure. */
void conn_set_nonblocking(int fd);

#endif
