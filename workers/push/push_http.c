/* push_http: the POST to a push service and its response head
 * (push_http.h). */
#include "push_http.h"

#include <string.h>
#include <strings.h>

int
push_http_request(const struct push_req *q, struct buf *out)
{
	const struct push_url *u = q->url;
	int v6 = strchr(u->host, ':') != NULL;
	buf_printf(out, "POST %s HTTP/1.1\r\nHost: %s%s%s", u->target,
	    v6 ? "[" : "", u->host, v6 ? "]" : "");
	if (u->port != 443)
		buf_printf(out, ":%u", u->port);
	buf_printf(out, "\r\nTTL: %u\r\nUrgency: %s\r\n", q->ttl, q->urgency);
	if (q->authorization != NULL)
		buf_printf(out, "Authorization: %s\r\n", q->authorization);
	if (q->body != NULL)
		buf_append_str(out, q->encrypted ? "Content-Encoding: aes128gcm"
		    "\r\nContent-Type: application/octet-stream\r\n" :
		    "Content-Type: application/json\r\n");
	buf_printf(out, "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	    q->body ? q->body_len : 0);
	if (q->body != NULL)
		buf_append(out, q->body, q->body_len);
	return out->failed ? -1 : 0;
}

/* The end of the line starting at p (the '\n'), or NULL. */
static const uint8_t *
line_end(const uint8_t *p, const uint8_t *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

/* "HTTP/1.x NNN ..." */
static int
status_line(const uint8_t *p, const uint8_t *e, int *status)
{
	if (e - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
	    (p[7] != '0' && p[7] != '1') || p[8] != ' ')
		return -1;
	int s = 0;
	for (int i = 9; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		s = s * 10 + (p[i] - '0');
	}
	if (s < 100 || s > 599 || (e - p > 12 && p[12] != ' ' &&
	    p[12] != '\r'))
		return -1;
	*status = s;
	return 0;
}

static uint32_t
retry_after(const uint8_t *v, const uint8_t *e)
{
	uint32_t n = 0;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	for (; v < e && *v >= '0' && *v <= '9'; v++)
		n = n > 86400 ? 86401 : n * 10 + (uint32_t)(*v - '0');
	return n > 86400 ? 86400 : n;       /* an HTTP-date reads as 0 */
}

/* One head from p: 1 (r set, *used its bytes), 0 more, -1 bad. */
static int
one_head(const uint8_t *p, const uint8_t *end, struct push_resp *r,
    size_t *used)
{
	const uint8_t *e = line_end(p, end);
	if (e == NULL)
		return end - p > 1024 ? -1 : 0;
	if (status_line(p, e, &r->status) < 0)
		return -1;
	r->retry_after = 0;
	for (const uint8_t *l = e + 1;; l = e + 1) {
		if ((e = line_end(l, end)) == NULL)
			return 0;
		size_t n = (size_t)(e - l);
		if (n > 0 && l[n - 1] == '\r')
			n--;
		if (n == 0) {
			*used = (size_t)(e + 1 - p);
			return 1;
		}
		const uint8_t *colon = memchr(l, ':', n);
		if (colon == NULL || colon == l)
			return -1;
		if ((size_t)(colon - l) == 11 &&
		    strncasecmp((const char *)l, "Retry-After", 11) == 0)
			r->retry_after = retry_after(colon + 1, l + n);
	}
}

int
push_http_response(const uint8_t *p, size_t n, struct push_resp *r)
{
	const uint8_t *end = p + (n > PUSH_RESP_HEAD_MAX ? PUSH_RESP_HEAD_MAX :
	    n);
	for (int heads = 0; heads < 8; heads++) {
		size_t used = 0;
		int rc = one_head(p, end, r, &used);
		if (rc <= 0)
			return rc == 0 && n >= PUSH_RESP_HEAD_MAX ? -1 : rc;
		if (r->status >= 200)
			return 1;
		p += used;                  /* 1xx: the real one follows */
	}
	return -1;
}
