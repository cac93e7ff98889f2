/* push_url: a push endpoint URL taken apart (https only): the host to
 * resolve, the port to connect to, the request target, and the origin a
 * VAPID token names as its audience (RFC 8292 section 2). */
#ifndef CLOISTER_PUSH_URL_H
#define CLOISTER_PUSH_URL_H

#include <stdint.h>

#define PUSH_HOST_MAX 256
#define PUSH_TARGET_MAX 1024

struct push_url {
	char host[PUSH_HOST_MAX];        /* a name or an address, no brackets */
	uint16_t port;                   /* 443 unless given */
	char target[PUSH_TARGET_MAX];    /* "/path?query", "/" at least */
	char origin[PUSH_HOST_MAX + 16]; /* "https://host[:port]", lower case */
};

/* 0, or -1 when url is not https://host[:port][/...] within the sizes
 * (no userinfo, no fragment kept, no control characters). */
int push_url_parse(const char *url, struct push_url *u);

#endif
