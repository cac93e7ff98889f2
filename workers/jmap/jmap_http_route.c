/* jmap_http_route: request path -> resource (see jmap_http_route.h). */
#include "jmap_http_route.h"

#include <string.h>

static bool
prefix(struct http_str p, const char *lit, struct http_str *rest)
{
	size_t n = strlen(lit);
	if (p.n < n || memcmp(p.p, lit, n) != 0)
		return false;
	*rest = (struct http_str){ p.p + n, p.n - n };
	return true;
}

static bool
exact(struct http_str p, const char *lit)
{
	return p.n == strlen(lit) && memcmp(p.p, lit, p.n) == 0;
}

/* Split off the next segment of *rest (up to '/' or the end), decoded. */
static bool
segment(struct http_str *rest, char *dst, size_t dstsize, bool last)
{
	const char *slash = memchr(rest->p, '/', rest->n);
	if (last ? slash != NULL : slash == NULL)
		return false;
	size_t n = slash ? (size_t)(slash - rest->p) : rest->n;
	if (n == 0 || http_pct_decode(rest->p, n, dst, dstsize) < 0)
		return false;
	*rest = slash ? (struct http_str){ slash + 1, rest->n - n - 1 } :
	    (struct http_str){ rest->p + n, 0 };
	return true;
}

static void
resource(const struct http_req *q, struct jmap_http_route *rt)
{
	struct http_str rest;
	struct http_str p = q->path;
	rt->allow = "GET, HEAD, OPTIONS";
	if (exact(p, "/.well-known/jmap")) {
		rt->id = ROUTE_WELL_KNOWN;
	} else if (exact(p, JMAP_SESSION_PATH)) {
		rt->id = ROUTE_SESSION;
	} else if (exact(p, "/jmap/api") || exact(p, "/jmap/api/")) {
		rt->id = ROUTE_API;
		rt->allow = "POST, OPTIONS";
	} else if (exact(p, "/jmap/eventsource") ||
	    exact(p, "/jmap/eventsource/")) {
		rt->id = ROUTE_EVENTSOURCE;
		rt->allow = "GET, OPTIONS";
	} else if (prefix(p, "/jmap/upload/", &rest)) {
		rt->allow = "POST, OPTIONS";
		if (segment(&rest, rt->account, sizeof(rt->account), false) &&
		    rest.n == 0)
			rt->id = ROUTE_UPLOAD;
	} else if (prefix(p, "/jmap/download/", &rest)) {
		if (segment(&rest, rt->account, sizeof(rt->account), false) &&
		    segment(&rest, rt->blob, sizeof(rt->blob), false) &&
		    segment(&rest, rt->name, sizeof(rt->name), true))
			rt->id = ROUTE_DOWNLOAD;
	}
}

void
jmap_http_route(const struct http_req *q, struct jmap_http_route *rt)
{
	memset(rt, 0, sizeof(*rt));
	resource(q, rt);
	if (rt->id == ROUTE_NONE) {
		rt->status = 404;
		return;
	}
	if (q->method == HTTP_OPTIONS)
		return;
	bool is_post = rt->id == ROUTE_API || rt->id == ROUTE_UPLOAD;
	bool get_ok = q->method == HTTP_GET ||
	    (q->method == HTTP_HEAD && strstr(rt->allow, "HEAD") != NULL);
	if (is_post ? q->method != HTTP_POST : !get_ok)
		rt->status = 405;
}
