/* push_addr: which addresses a push service may be at. jmapd checks a
 * subscription's URL when it is created and pushd checks the address it
 * is about to connect to (after resolving, so a name that later points
 * inside is caught too): never the unspecified, private, shared (CGNAT),
 * link-local, unique-local or multicast ranges; loopback only when the
 * test flag allows it. */
#ifndef CLOISTER_PUSH_ADDR_H
#define CLOISTER_PUSH_ADDR_H

#include <stdbool.h>

/* a: 4 bytes (AF_INET) or 16 (AF_INET6), network order. */
bool push_addr_v4_public(const unsigned char a[4], bool allow_loopback);
bool push_addr_v6_public(const unsigned char a[16], bool allow_loopback);

#endif
