/*
 * lmtp_access: which TCP clients may speak LMTP. Anyone who can reach an
 * LMTP port can deliver to every user (the MTA holds the delivery right by
 * design), so TCP is opt-in: lmtpd answers a TCP client only when its
 * address, as the supervisor saw it at accept, is in the service's
 * `allow-clients` list; anyone else gets 421 4.7.0 before a byte of theirs
 * is read. Connections on unix sockets are guarded by the socket's mode.
 */
#ifndef CLOISTER_LMTP_ACCESS_H
#define CLOISTER_LMTP_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LMTP_ALLOW_MAX 32

struct lmtp_net {
	uint8_t addr[16];        /* IPv4 as IPv4-mapped IPv6 */
	unsigned prefix;         /* 0..128, over the 16 bytes */
};

struct lmtp_allow {
	struct lmtp_net nets[LMTP_ALLOW_MAX];
	size_t n;
};

/* "127.0.0.1 10.0.0.0/8 ::1 fd00::/8": addresses with an optional prefix
 * length, separated by blanks or commas. -1 with err filled on a bad
 * entry; an empty list allows nobody. */
int lmtp_allow_parse(struct lmtp_allow *a, const char *text, char *err,
    size_t errsz);
/* Is the peer (a struct sockaddr as accept(2) gave it) in the list? An
 * IPv4-mapped IPv6 peer matches as IPv4. Anything but AF_INET/AF_INET6
 * matches nothing. */
bool lmtp_allow_match(const struct lmtp_allow *a, const uint8_t *sa,
    size_t salen);

#endif
