/*
 * jmap_http_route: which resource of cloister-jmapd a request names
 * (RFC 8620 sections 2, 3.1, 6.1, 6.2, 7.3), and whether its method fits.
 * Path parameters are percent-decoded into the route.
 */
#ifndef CLOISTER_JMAP_HTTP_ROUTE_H
#define CLOISTER_JMAP_HTTP_ROUTE_H

#include "jmap_http_req.h"

#define JMAP_HTTP_ID_MAX 128
#define JMAP_HTTP_NAME_MAX 256

enum jmap_route {
	ROUTE_NONE,            /* 404 */
	ROUTE_WELL_KNOWN,      /* GET /.well-known/jmap -> redirect */
	ROUTE_SESSION,         /* GET /jmap/session */
	ROUTE_API,             /* POST /jmap/api */
	ROUTE_UPLOAD,          /* POST /jmap/upload/{accountId}/ */
	ROUTE_DOWNLOAD,        /* GET /jmap/download/{accountId}/{blobId}/{name} */
	ROUTE_EVENTSOURCE,     /* GET /jmap/eventsource/ */
};

#define JMAP_SESSION_PATH "/jmap/session"

struct jmap_http_route {
	enum jmap_route id;
	int status;            /* 0 fine; 404, 405 (allow says what is) */
	const char *allow;     /* the Allow header of the resource */
	char account[JMAP_HTTP_ID_MAX];
	char blob[JMAP_HTTP_ID_MAX];
	char name[JMAP_HTTP_NAME_MAX];
};

/* Route q; OPTIONS is always allowed (CORS preflight). */
void jmap_http_route(const struct http_req *q, struct jmap_http_route *rt);

#endif
