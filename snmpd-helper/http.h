/*
 * http: the strictly bounded HTTP/1.x request parser of GET /metrics, and
 * the response writer. Untrusted bytes; no allocation; never reads past len.
 *
 * Accepted: one request line "METHOD SP TARGET SP HTTP/1.x" and header
 * lines, each ended by CRLF (or a bare LF, RFC 9112 2.2), then an empty
 * line; the whole head at most HTTP_MAX_HEAD bytes, the request line at
 * most HTTP_MAX_LINE, at most HTTP_MAX_HEADERS header lines. Bodies are
 * not read: a request announcing one (Content-Length other than 0, or any
 * Transfer-Encoding) is refused. Every response closes the connection.
 *
 * Status decided, in this order: 400 bad syntax (also: HTTP/1.1 without
 * exactly one Host, obs-fold, bare CR, control characters); 414 request
 * line too long; 431 head too large; 505 version other than 1.x; 405 a
 * method other than GET and HEAD; 404 a path other than /metrics (a query
 * string is ignored); 200.
 */
#ifndef CLOISTER_SNMPD_HTTP_H
#define CLOISTER_SNMPD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define HTTP_MAX_HEAD 8192
#define HTTP_MAX_LINE 2048
#define HTTP_MAX_HEADERS 64

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER };

struct http_request {
	enum http_method method;
	int status;                /* the status to answer with */
	size_t head_len;           /* bytes of the request head consumed */
};

/* 0: the head is not complete yet (more bytes may come); 1: req->status
 * is decided (200 or an error). len is what the connection holds so far;
 * a caller that has HTTP_MAX_HEAD bytes and gets 0 has a bug: the parser
 * decides 414/431 itself at the limits. */
int http_parse(const uint8_t *p, size_t len, struct http_request *req);

/* A complete response: status line, Content-Type, Content-Length,
 * Connection: close (+ Allow on 405); the body unless head_only. */
int http_response(struct buf *out, int status, bool head_only,
    const char *content_type, const void *body, size_t body_len);
const char *http_reason(int status);

#endif
