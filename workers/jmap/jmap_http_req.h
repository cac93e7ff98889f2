/*
 * jmap_http_req: the HTTP/1.1 request reader of cloister-jmapd (RFC 9112).
 * No I/O: bytes are fed in, a request comes out in two steps — the head
 * (request line and headers) and then the body — so that the caller can
 * authenticate and route before a single body byte is kept, and set the
 * body limit from the route (maxSizeRequest or maxSizeUpload).
 *
 *   http_reader_init(&r, &limits);
 *   for each input: ev = http_reader_feed(&r, in, n, &used); consume used;
 *     HTTP_RD_MORE: feed more
 *     HTTP_RD_HEAD: r.req is filled; call http_reader_body(&r, max) to read
 *                   the body (or answer without it and close), then feed on
 *     HTTP_RD_DONE: r.body holds the whole (de-chunked) body
 *     >= 400:       the HTTP status to answer with; the connection closes
 *   http_reader_reset(&r) before the next request on the connection.
 *
 * Strict where smuggling lives: CRLF line ends only, no obs-fold, no
 * whitespace before a header's colon, Content-Length and Transfer-Encoding
 * never together, one Content-Length value, "chunked" the only coding.
 */
#ifndef CLOISTER_JMAP_HTTP_REQ_H
#define CLOISTER_JMAP_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The request line's limit (RFC 9112 section 3 recommends 8000 octets). */
#define HTTP_MAX_REQUEST_LINE 8192
#define HTTP_MAX_HEADERS 64
#define HTTP_MAX_HEADER_BYTES 16384
/* A chunk-size line (with extensions) and the trailer section. */
#define HTTP_MAX_CHUNK_LINE 256
#define HTTP_MAX_TRAILER_BYTES 4096

enum http_rd {
	HTTP_RD_MORE = 0,
	HTTP_RD_HEAD = 1,
	HTTP_RD_DONE = 2,
	/* else an HTTP status (400, 413, 414, 431, 501, 505) */
};

enum http_method {
	HTTP_OTHER, HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_OPTIONS,
};

/* A slice of the reader's head buffer: valid until the next reset. */
struct http_str {
	const char *p;
	size_t n;
};

struct http_req {
	enum http_method method;
	struct http_str method_name;
	struct http_str path;              /* the target up to '?' */
	struct http_str query;             /* after '?', without it */
	int minor;                         /* HTTP/1.minor */
	struct http_str host, authorization, content_type, origin;
	struct http_str acr_method;        /* Access-Control-Request-Method */
	struct http_str expect;
	struct http_str cookie;            /* jmap_http_cookie.h reads it */
	bool keep_alive;                   /* after this request */
	bool chunked;
	bool has_length;
	uint64_t content_length;
	unsigned nheaders;
};

enum http_rd_state {
	RDS_HEAD, RDS_WAIT_BODY, RDS_LENGTH, RDS_CHUNK_SIZE, RDS_CHUNK_DATA,
	RDS_CHUNK_CRLF, RDS_TRAILER, RDS_DONE,
};

/* Where body bytes go instead of the reader's buffer (an upload's
 * memfd): 0, or -1 to refuse the request (413). */
typedef int (*http_body_sink)(void *arg, const uint8_t *p, size_t n);

struct http_reader {
	enum http_rd_state st;
	struct http_req req;
	char head[HTTP_MAX_REQUEST_LINE + HTTP_MAX_HEADER_BYTES];
	size_t head_len;
	size_t line_len_req;               /* the request line's, with CRLF */
	struct buf body;
	uint64_t left;                     /* of the length or current chunk */
	char line[HTTP_MAX_CHUNK_LINE];    /* a chunk-size or trailer line */
	size_t line_len;
	size_t trailer_bytes;
	http_body_sink sink;               /* NULL: the body goes to body */
	void *sink_arg;
	uint64_t sunk;                     /* bytes handed to sink */
};

void http_reader_init(struct http_reader *r);
/* Ready for the next request (the body is freed). */
void http_reader_reset(struct http_reader *r);
void http_reader_free(struct http_reader *r);

/* Feed n bytes; *used says how many were taken (never past the end of the
 * current request, so pipelined bytes stay with the caller). */
int http_reader_feed(struct http_reader *r, const uint8_t *in, size_t n,
    size_t *used);
/* After HTTP_RD_HEAD: read a body of at most max bytes. Returns
 * HTTP_RD_DONE at once when there is none, 413 when a declared length is
 * over max (a chunked body is checked as it arrives), else HTTP_RD_MORE. */
int http_reader_body(struct http_reader *r, size_t max);

/* Before http_reader_body: hand the body to sink as it arrives (within
 * the same max, counted in r->sunk) instead of keeping it in r->body.
 * http_reader_reset() forgets it. */
void http_reader_sink(struct http_reader *r, http_body_sink sink, void *arg);

/* Case-insensitive comparison of a slice with a C string. */
bool http_str_eq(struct http_str s, const char *lit);
/* The value of query parameter name (percent-decoded into dst, at most
 * dstsize - 1 bytes, NUL-terminated): 1 found, 0 absent, -1 malformed or
 * too long. */
int http_query_param(struct http_str query, const char *name, char *dst,
    size_t dstsize);
/* Percent-decode a path segment into dst (NUL-terminated); -1 if malformed,
 * too long or it decodes to a NUL or a '/'. */
int http_pct_decode(const char *p, size_t n, char *dst, size_t dstsize);

#endif
