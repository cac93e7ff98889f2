/* libFuzzer target: jmapd's HTTP request reader (workers/jmap/
 * jmap_http_req.c) — request line, headers, Content-Length and chunked
 * bodies, pipelined requests, query parameters, path segments and the
 * session cookie (jmap_http_cookie.c). The
 * input is fed twice, whole and in small pieces (a slow client); both must
 * give the same events and the same bodies. */
#include "jmap_http_cookie.h"
#include "jmap_http_req.h"

#include <stdlib.h>
#include <string.h>

#define BODY_MAX 4096
#define MAX_REQUESTS 8

struct outcome {
	int ev[MAX_REQUESTS * 2 + 1];
	size_t nev;
	uint64_t body_sum;
};

static void
exercise(const struct http_req *q)
{
	char v[64];
	(void)http_query_param(q->query, "types", v, sizeof(v));
	(void)http_query_param(q->query, "ping", v, sizeof(v));
	if (q->path.n > 0)
		(void)http_pct_decode(q->path.p, q->path.n, v, sizeof(v));
	struct http_str c = http_cookie_get(q->cookie, JMAP_COOKIE_NAME);
	if (c.p != NULL && (c.p < q->cookie.p ||
	    c.p + c.n > q->cookie.p + q->cookie.n))
		abort();   /* the value must lie inside the header */
}

static void
run(const uint8_t *p, size_t n, size_t step, struct outcome *o)
{
	static struct http_reader r;
	memset(o, 0, sizeof(*o));
	http_reader_init(&r);
	size_t off = 0;
	unsigned requests = 0;
	while (o->nev < sizeof(o->ev) / sizeof(o->ev[0])) {
		size_t k = n - off < step ? n - off : step, used = 0;
		int ev = http_reader_feed(&r, p + off, k, &used);
		if (used > k)
			abort();
		off += used;
		if (ev == HTTP_RD_MORE) {
			if (off == n)
				break;
			continue;
		}
		o->ev[o->nev++] = ev;
		if (ev == HTTP_RD_HEAD) {
			exercise(&r.req);
			ev = http_reader_body(&r, BODY_MAX);
			if (ev == HTTP_RD_MORE)
				continue;
			o->ev[o->nev++] = ev;
		}
		if (ev != HTTP_RD_DONE)
			break;
		if (r.body.len > BODY_MAX)
			abort();
		for (size_t i = 0; i < r.body.len; i++)
			o->body_sum = o->body_sum * 31 + r.body.data[i];
		if (++requests == MAX_REQUESTS)
			break;
		http_reader_reset(&r);
	}
	http_reader_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	uint8_t *p = malloc(size ? size : 1);   /* exact size: ASan sees overreads */
	memcpy(p, data, size);
	struct outcome whole, pieces;
	run(p, size, size ? size : 1, &whole);
	run(p, size, 1 + (size % 7), &pieces);
	if (whole.nev != pieces.nev || whole.body_sum != pieces.body_sum ||
	    memcmp(whole.ev, pieces.ev, whole.nev * sizeof(whole.ev[0])) != 0)
		abort();
	free(p);
	return 0;
}
