/* Unit tests for workers/jmap/jmap_http_req: heads, bodies by length and
 * chunked, what stays for the next pipelined request, the limits, and the
 * query and path decoders. */
#include "check.h"
#include "jmap_http_req.h"

#include <stdbool.h>
#include <string.h>

static struct http_reader rd;

/* Feed s in pieces of step bytes until an event other than MORE; the
 * bytes consumed go to *used. */
static int
feed(const char *s, size_t step, size_t *used)
{
	size_t off = 0, n = strlen(s);
	int ev = HTTP_RD_MORE;
	while (off < n) {
		size_t k = n - off < step ? n - off : step, u;
		ev = http_reader_feed(&rd, (const uint8_t *)s + off, k, &u);
		off += u;
		if (ev != HTTP_RD_MORE)
			break;
	}
	*used = off;
	return ev;
}

/* The status of a whole request head (fed at once and by single bytes,
 * which must agree). */
static int
head_status(const char *s)
{
	size_t used;
	http_reader_reset(&rd);
	int a = feed(s, strlen(s), &used);
	http_reader_reset(&rd);
	int b = feed(s, 1, &used);
	CHECK_EQ(a, b);
	return a;
}

static void
test_heads(void)
{
	size_t used;
	const char *get = "GET /jmap/download/A1/G00/a%20b?accept=text%2Fplain&x"
	    " HTTP/1.1\r\nHost: h\r\nConnection: close\r\nOrigin: o\r\n\r\nNEXT";
	http_reader_reset(&rd);
	CHECK_EQ(feed(get, 7, &used), HTTP_RD_HEAD);
	CHECK_EQ(strlen(get) - used, 4);            /* "NEXT" is left */
	struct http_req *q = &rd.req;
	CHECK(q->method == HTTP_GET && !q->keep_alive && q->minor == 1);
	CHECK(http_str_eq(q->host, "h") && http_str_eq(q->origin, "O"));
	CHECK(q->path.n == strlen("/jmap/download/A1/G00/a%20b"));
	char v[32];
	CHECK_EQ(http_query_param(q->query, "accept", v, sizeof(v)), 1);
	CHECK(strcmp(v, "text/plain") == 0);
	CHECK_EQ(http_query_param(q->query, "x", v, sizeof(v)), 1);
	CHECK(v[0] == '\0');
	CHECK_EQ(http_query_param(q->query, "acc", v, sizeof(v)), 0);
	CHECK_EQ(http_pct_decode("a%20b", 5, v, sizeof(v)), 0);
	CHECK(strcmp(v, "a b") == 0);
	CHECK_EQ(http_pct_decode("a%2Fb", 5, v, sizeof(v)), -1);   /* a '/' */
	CHECK_EQ(http_pct_decode("a%00", 4, v, sizeof(v)), -1);
	CHECK_EQ(http_pct_decode("a%2", 3, v, sizeof(v)), -1);
	CHECK_EQ(head_status("GET / HTTP/1.0\r\n\r\n"), HTTP_RD_HEAD);
	CHECK(!rd.req.keep_alive);
	CHECK_EQ(head_status("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
	    HTTP_RD_HEAD);
	CHECK(rd.req.keep_alive);
	CHECK_EQ(head_status("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"),
	    HTTP_RD_HEAD);
}

static void
test_refusals(void)
{
	CHECK_EQ(head_status("GET / HTTP/1.1\r\n\r\n"), 400);          /* Host */
	CHECK_EQ(head_status("GET / HTTP/1.1\nHost: x\n\n"), 400);
	CHECK_EQ(head_status("GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n"), 400);
	CHECK_EQ(head_status("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), 400);
	CHECK_EQ(head_status("GET / HTTP/1.1\r\nHost: x\r\n y\r\n\r\n"), 400);
	CHECK_EQ(head_status("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"), 400);
	CHECK_EQ(head_status("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	CHECK_EQ(head_status("GET / HTTP/3.0\r\nHost: x\r\n\r\n"), 505);
	CHECK_EQ(head_status("GET / HTTX/1.1\r\nHost: x\r\n\r\n"), 400);
	CHECK_EQ(head_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1"
	    "\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
	CHECK_EQ(head_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1"
	    "\r\nContent-Length: 1\r\n\r\n"), 400);
	CHECK_EQ(head_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1"
	    "\r\n\r\n"), 400);
	CHECK_EQ(head_status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:"
	    " gzip, chunked\r\n\r\n"), 501);
	char big[HTTP_MAX_REQUEST_LINE + 64];
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ(head_status(big), 414);
	static char many[HTTP_MAX_HEADERS * 8 + 64];
	size_t o = 0;
	o += (size_t)buf_snprintf(many + o, sizeof(many) - o,
	    "GET / HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < HTTP_MAX_HEADERS; i++)
		o += (size_t)buf_snprintf(many + o, sizeof(many) - o, "A: b\r\n");
	(void)buf_snprintf(many + o, sizeof(many) - o, "\r\n");
	CHECK_EQ(head_status(many), 431);
}

/* A body sink (an upload's memfd in jmapd): what it was handed. */
static bool sink_on, sink_fails;
static char sunk[64];
static size_t nsunk;

static int
collect(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	if (sink_fails || nsunk + n >= sizeof(sunk))
		return -1;
	if (n > 0)   /* an empty piece may come with no pointer */
		memcpy(sunk + nsunk, p, n);
	nsunk += n;
	return 0;
}

/* A whole request with a body: the event and the body (from the sink
 * when sink_on). */
static int
request(const char *s, size_t step, size_t max, char *body, size_t bodysize)
{
	size_t used, n = strlen(s);
	http_reader_reset(&rd);
	int ev = feed(s, step, &used);
	if (ev != HTTP_RD_HEAD)
		return ev;
	nsunk = 0;
	if (sink_on)
		http_reader_sink(&rd, collect, NULL);
	ev = http_reader_body(&rd, max);
	size_t off = used;
	while (ev == HTTP_RD_MORE && off < n) {
		size_t k = n - off < step ? n - off : step, u;
		ev = http_reader_feed(&rd, (const uint8_t *)s + off, k, &u);
		off += u;
	}
	if (ev == HTTP_RD_DONE && sink_on && nsunk < bodysize) {
		memcpy(body, sunk, nsunk);
		body[nsunk] = '\0';
	} else if (ev == HTTP_RD_DONE && rd.body.len < bodysize) {
		if (rd.body.len > 0)   /* an empty body has no buffer */
			memcpy(body, rd.body.data, rd.body.len);
		body[rd.body.len] = '\0';
	}
	return ev;
}

/* Both requests, fed in pieces of 1, 4 and 7 bytes, have the body
 * "hello". */
static void
both_hello(const char *len_req, const char *chunked_req)
{
	char b[64];
	for (size_t step = 1; step < 9; step += 3) {
		CHECK_EQ(request(len_req, step, 100, b, sizeof(b)), HTTP_RD_DONE);
		CHECK(strcmp(b, "hello") == 0);
		CHECK_EQ(request(chunked_req, step, 100, b, sizeof(b)),
		    HTTP_RD_DONE);
		CHECK(strcmp(b, "hello") == 0);
	}
}

/* "hello" by Content-Length and chunked (extension, trailer). */
static const char cl[] = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5"
    "\r\n\r\nhello";
static const char ch[] = "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
    "Chunked\r\n\r\n3;ext=\"v\"\r\nhel\r\n2\r\nlo\r\n0\r\nX-T: 1\r\n\r\n";

static void
test_bodies(void)
{
	char b[64];
	both_hello(cl, ch);
	CHECK_EQ(request(cl, 50, 4, b, sizeof(b)), 413);
	CHECK_EQ(request(ch, 50, 4, b, sizeof(b)), 413);
	CHECK_EQ(request("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n3\r\nhelXX", 50, 100, b, sizeof(b)), 400);
	CHECK_EQ(request("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
	    "chunked\r\n\r\nfffffffffffffffff\r\n", 50, 100, b, sizeof(b)), 413);
	CHECK_EQ(request("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n\r\n", 50, 100, b, sizeof(b)), 400);
	CHECK_EQ(request("GET /a HTTP/1.1\r\nHost: x\r\n\r\n", 50, 0, b,
	    sizeof(b)), HTTP_RD_DONE);
}

/* With a sink the body streams out as it comes and is never kept, and
 * max still bounds the whole of it (chunks summed across the sink). */
static void
test_sink(void)
{
	char b[64];
	sink_on = true;
	both_hello(cl, ch);
	CHECK(rd.body.len == 0 && rd.sunk == 5);
	CHECK_EQ(request(cl, 3, 100, b, sizeof(b)), HTTP_RD_DONE);
	CHECK(rd.body.len == 0 && rd.sunk == 5);
	CHECK_EQ(request(cl, 50, 4, b, sizeof(b)), 413);
	CHECK_EQ(request(ch, 50, 4, b, sizeof(b)), 413);
	CHECK_EQ(request(ch, 1, 4, b, sizeof(b)), 413);
	CHECK_EQ(request(ch, 50, 5, b, sizeof(b)), HTTP_RD_DONE);
	sink_fails = true;
	CHECK_EQ(request(cl, 50, 100, b, sizeof(b)), 413);
	sink_fails = sink_on = false;
	/* a reset forgets the sink */
	CHECK_EQ(request(cl, 50, 100, b, sizeof(b)), HTTP_RD_DONE);
	CHECK(strcmp(b, "hello") == 0 && rd.body.len == 5 && rd.sink == NULL);
}

int
main(void)
{
	http_reader_init(&rd);
	test_heads();
	test_refusals();
	test_bodies();
	test_sink();
	http_reader_free(&rd);
	return check_done("jmap_http_req");
}
