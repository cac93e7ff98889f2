/*
 * jmap_http_resp: HTTP/1.1 responses of cloister-jmapd, written into the
 * connection's output buffer. A response is a status line, headers and
 * either a body with its Content-Length or a stream (EventSource, which
 * then ends with the connection).
 */
#ifndef CLOISTER_JMAP_HTTP_RESP_H
#define CLOISTER_JMAP_HTTP_RESP_H

#include <stddef.h>

#include "buf.h"

/* "Not Found" for 404, ... ("Unknown" for a status not listed). */
const char *http_reason(int status);
/* The status line and the headers every response carries (Date, Server,
 * Cache-Control: no-store; Connection: close when close is set). */
void http_resp_start(struct buf *b, int status, int close);
void http_resp_header(struct buf *b, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Content-Type (when ctype is not NULL), Content-Length, the blank line
 * and the body (unless body is NULL: the caller appends len bytes). */
void http_resp_body(struct buf *b, const char *ctype, const void *body,
    size_t len);
#endif
