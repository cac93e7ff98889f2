/* Unit tests for snmpd-helper/http: each request head gets the status the
 * table in http.h promises; incomplete heads wait; the limits answer 414
 * and 431 by themselves; bytes are never read past len (ASan build). */
#include "check.h"
#include "http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *req;
	int status;          /* 0: incomplete */
	enum http_method method;
} cases[] = {
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200, HTTP_GET },
	{ "GET /metrics HTTP/1.1\nHost: x\n\n", 200, HTTP_GET },
	{ "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200, HTTP_HEAD },
	{ "GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n", 200, HTTP_GET },
	{ "GET http://h:9/metrics HTTP/1.1\r\nHost: h\r\n\r\n", 200, HTTP_GET },
	{ "GET /metrics HTTP/1.0\r\n\r\n", 200, HTTP_GET },
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/7\r\n"
	  "Accept: */*\r\nContent-Length: 0\r\n\r\n", 200, HTTP_GET },
	{ "GET /metrics HTTP/1.1\r\nhost:x \t\r\n\r\n", 200, HTTP_GET },
	/* 404 */
	{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 404, HTTP_GET },
	{ "GET /metrics/ HTTP/1.1\r\nHost: x\r\n\r\n", 404, HTTP_GET },
	{ "GET /METRICS HTTP/1.1\r\nHost: x\r\n\r\n", 404, HTTP_GET },
	{ "GET http://h HTTP/1.1\r\nHost: h\r\n\r\n", 404, HTTP_GET },
	/* 405 */
	{ "POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405, HTTP_OTHER },
	{ "get /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405, HTTP_OTHER },
	{ "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 405, HTTP_OTHER },
	/* 505 */
	{ "GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", 505, HTTP_GET },
	/* 400 */
	{ "GET /metrics HTTP/1.1\r\n\r\n", 400, HTTP_GET },              /* no Host */
	{ "GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, HTTP_GET },
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, HTTP_GET },
	{ "GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n", 400, HTTP_GET },
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400, HTTP_GET },
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
	  400, HTTP_GET },
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
	  "Content-Length: 0\r\n\r\n", 400, HTTP_GET },
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
	  400, HTTP_GET },
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	  "\r\n", 400, HTTP_GET },
	{ "GET /metrics HTTP/1.1\r\nHost: x\rY: z\r\n\r\n", 400, HTTP_GET },
	{ "GET /metrics HTTP/1.1\r\nHost: x\x01\r\n\r\n", 400, HTTP_GET },
	{ "GET /metrics#frag HTTP/1.1\r\nHost: x\r\n\r\n", 400, HTTP_GET },
	{ "GET metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400, HTTP_GET },
	{ "GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400, HTTP_OTHER },
	{ "GET /metrics  HTTP/1.1\r\nHost: x\r\n\r\n", 400, HTTP_OTHER },
	{ "GET /metrics HTTP/1.1 \r\nHost: x\r\n\r\n", 400, HTTP_OTHER },
	{ "GET /metrics HTTP/11\r\nHost: x\r\n\r\n", 400, HTTP_OTHER },
	{ "GET /metrics\r\n\r\n", 400, HTTP_OTHER },                   /* HTTP/0.9 */
	{ "\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400, HTTP_OTHER },
	{ "\x16\x03\x01\x02\x00", 400, HTTP_OTHER },                  /* TLS hello */
	{ "GET /m\x80 HTTP/1.1", 400, HTTP_OTHER },
	/* incomplete */
	{ "", 0, HTTP_OTHER },
	{ "GET /metr", 0, HTTP_OTHER },
	{ "GET /metrics HTTP/1.1\r", 0, HTTP_OTHER },
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\n", 0, HTTP_GET },
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\n\r", 0, HTTP_GET },
};

/* Parse from an exact-size heap copy so that ASan sees any overread. */
static int
parse(const char *s, size_t n, struct http_request *r)
{
	uint8_t *p = malloc(n ? n : 1);
	memcpy(p, s, n);
	int rc = http_parse(p, n, r);
	free(p);
	return rc;
}

static void
test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_request r;
		size_t n = strlen(cases[i].req);
		int rc = parse(cases[i].req, n, &r);
		int got = rc ? r.status : 0;
		if (got != cases[i].status) {
			fprintf(stderr, "case %zu: want %d got %d: %s\n", i,
			    cases[i].status, got, cases[i].req);
			CHECK(!"status");
		}
		if (rc && cases[i].status >= 200 && cases[i].status != 400)
			CHECK_EQ(r.method, cases[i].method);
		/* every prefix of a complete request is incomplete or decided
		 * the same way, never something else */
		for (size_t k = 0; rc && k < n; k++) {
			struct http_request pr;
			int prc = parse(cases[i].req, k, &pr);
			if (prc && pr.status != r.status) {
				fprintf(stderr, "case %zu prefix %zu: %d vs %d\n", i, k,
				    pr.status, r.status);
				CHECK(!"prefix decides differently");
			}
		}
	}
}

#define BIG (HTTP_MAX_HEAD * 2)

static void app(char *big, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
app(char *big, size_t *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(big + *n, BIG - *n, fmt, ap);
	va_end(ap);
	if (k > 0 && (size_t)k < BIG - *n)
		*n += (size_t)k;
}

static void
test_limits(void)
{
	struct http_request r;
	char *big = malloc(BIG);

	/* a request line past HTTP_MAX_LINE: 414 without waiting for LF */
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', HTTP_MAX_LINE + 10);
	CHECK_EQ(parse(big, HTTP_MAX_LINE + 15, &r), 1);
	CHECK_EQ(r.status, 414);
	/* just below the limit it still waits */
	CHECK_EQ(parse(big, HTTP_MAX_LINE, &r), 0);

	/* a head past HTTP_MAX_HEAD: 431 */
	size_t n = 0;
	app(big, &n, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
	/* long lines: the byte limit, not the line count, is reached */
	while (n < HTTP_MAX_HEAD + 100)
		app(big, &n, "X-Pad: %0200d\r\n", 0);
	CHECK_EQ(parse(big, n, &r), 1);
	CHECK_EQ(r.status, 431);
	CHECK_EQ(parse(big, HTTP_MAX_HEAD, &r), 1);
	CHECK_EQ(r.status, 431);
	CHECK_EQ(parse(big, HTTP_MAX_HEAD - 1, &r), 0);

	/* too many header lines: 431 even inside the byte limit */
	n = 0;
	app(big, &n, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < HTTP_MAX_HEADERS + 1; i++)
		app(big, &n, "A: b\r\n");
	app(big, &n, "\r\n");
	CHECK_EQ(parse(big, n, &r), 1);
	CHECK_EQ(r.status, 431);

	/* bytes after the head (a pipelined request) do not matter */
	n = 0;
	app(big, &n, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET / ");
	CHECK_EQ(parse(big, n, &r), 1);
	CHECK_EQ(r.status, 200);
	CHECK_EQ(r.head_len, n - 6);
	free(big);
}

static void
test_response(void)
{
	struct buf b = BUF_INIT(4096);
	CHECK_EQ(http_response(&b, 405, false, "text/plain", "x\n", 2), 0);
	const char *s = buf_cstr(&b);
	CHECK(strncmp(s, "HTTP/1.1 405 Method Not Allowed\r\n", 33) == 0);
	CHECK(strstr(s, "\r\nAllow: GET, HEAD\r\n") != NULL);
	CHECK(strstr(s, "\r\nConnection: close\r\n") != NULL);
	CHECK(strstr(s, "\r\nContent-Length: 2\r\n") != NULL);
	CHECK(strcmp(s + strlen(s) - 6, "\r\n\r\nx\n") == 0);
	buf_reset(&b);
	CHECK_EQ(http_response(&b, 200, true, "text/plain", "hello", 5), 0);
	s = buf_cstr(&b);
	CHECK(strstr(s, "Content-Length: 5\r\n") != NULL);
	CHECK(strcmp(s + strlen(s) - 4, "\r\n\r\n") == 0);   /* HEAD: no body */
	buf_free(&b);
	struct buf tiny = BUF_INIT(16);
	CHECK_EQ(http_response(&tiny, 200, false, "text/plain", "x", 1), -1);
	buf_free(&tiny);
}

int
main(void)
{
	test_table();
	test_limits();
	test_response();
	return check_done("snmpd_http");
}
