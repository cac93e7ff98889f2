/*
 * push_dns: the push sender's resolver. After confinement no file can be
 * opened, so the resolvers are read from resolv.conf before, and a push
 * service's name is resolved with DNS over TCP (RFC 1035 section 4.2.2,
 * RFC 7766): the same socket type and connect the sender already has,
 * no UDP. The answer is untrusted bytes: parsed with bounds on every
 * length, compression pointer and CNAME hop (fuzz_push_dns), and every
 * address it yields is still checked by push_addr.h before a connect.
 */
#ifndef CLOISTER_PUSH_DNS_H
#define CLOISTER_PUSH_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PUSH_DNS_MAX_SERVERS 3             /* as libc's MAXNS */
#define PUSH_DNS_MAX_ADDRS 8
#define PUSH_DNS_MSG_MAX 4096              /* bytes of an answer read */
#define PUSH_DNS_TYPE_A 1
#define PUSH_DNS_TYPE_AAAA 28

struct push_dns_addr {
	int family;                        /* AF_INET or AF_INET6 */
	uint8_t a[16];
};

/* The "nameserver" addresses of resolv.conf's text (n bytes): how many
 * went into out (at most PUSH_DNS_MAX_SERVERS). */
size_t push_dns_servers(const char *text, size_t n,
    struct push_dns_addr *out);

/* A query for name (type A or AAAA, recursion desired) with its TCP
 * length prefix into out: its length, or -1 (a bad name, no room). */
long push_dns_query(const char *name, uint16_t id, uint16_t type,
    uint8_t *out, size_t cap);

/* The addresses of type for name in the answer msg (n bytes, without
 * the length prefix) to query id: how many (0: none, NXDOMAIN, a
 * failure code), or -1 when it is malformed or not the answer to it. */
int push_dns_answer(const uint8_t *msg, size_t n, uint16_t id,
    uint16_t type, const char *name, struct push_dns_addr *out,
    size_t max);

/* Resolve name (A, then AAAA when there is none) with server on port
 * (53; another for tests) within timeout_ms: the count, or -1. */
int push_dns_resolve(const struct push_dns_addr *server, uint16_t port,
    const char *name, int timeout_ms, struct push_dns_addr *out,
    size_t max);

#endif
