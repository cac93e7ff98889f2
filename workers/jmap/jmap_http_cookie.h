/*
 * jmap_http_cookie: the web session cookie of jmapd (docs/jmap.md, "Push
 * and downloads from a browser"). A browser's EventSource cannot send an
 * Authorization header; after a login by password or app token, the
 * Session response sets this cookie (a token authd minted), and the
 * browser sends it back to the event source and download paths only.
 * Reading it from a Cookie header is here: no I/O, fuzzed.
 */
#ifndef CLOISTER_JMAP_HTTP_COOKIE_H
#define CLOISTER_JMAP_HTTP_COOKIE_H

#include "jmap_http_req.h"

/* __Secure-: a browser keeps it only from an https origin with Secure. */
#define JMAP_COOKIE_NAME "__Secure-cloister-jmap"

/* The value of the cookie called name in a Cookie header's value (RFC
 * 6265 section 5.4: "a=1; b=2"), or { NULL, 0 } if it is absent, empty or
 * given twice (ambiguous). The result points into header. */
struct http_str http_cookie_get(struct http_str header, const char *name);

#endif
