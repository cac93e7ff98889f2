/*
 * probe_net: the network escapes of a worker that may make TCP client
 * sockets (pushd: `network host`, socket(AF_INET|AF_INET6, SOCK_STREAM)
 * and connect, docs/pushd.md). Each makes its socket exactly the way
 * pushd does (SOCK_NONBLOCK | SOCK_CLOEXEC), so the filter's argument
 * rules are what is tested: another family or type, bind, listen, and a
 * connect (or a TCP Fast Open sendto, which connects without connect())
 * to a port Landlock does not allow.
 */
#ifndef CLOISTER_PROBE_NET_H
#define CLOISTER_PROBE_NET_H

#include "probe_attempts.h"

/* Each returns 1 if the escape worked (as probe_attempts.c's do). */
int probe_try_unix_socket(struct probe_ctx *c);
int probe_try_udp_socket(struct probe_ctx *c);
int probe_try_netlink_socket(struct probe_ctx *c);
int probe_try_tcp_bind(struct probe_ctx *c);
int probe_try_tcp_listen(struct probe_ctx *c);
int probe_try_tcp_other_port(struct probe_ctx *c);
int probe_try_tcp_fastopen(struct probe_ctx *c);

#endif
