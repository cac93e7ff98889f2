/*
 * push_http: the one HTTP/1.1 exchange pushd has with a push service
 * (RFC 8030 section 5): the POST it writes, and the reading of the
 * response head, the only bytes pushd takes from the outside. The body
 * of a response is never read: the connection is closed after the head.
 */
#ifndef CLOISTER_PUSH_HTTP_H
#define CLOISTER_PUSH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "push_url.h"

#define PUSH_RESP_HEAD_MAX 8192          /* bytes of a response head */

struct push_req {
	const struct push_url *url;
	const char *authorization;       /* "vapid t=..., k=..." */
	uint32_t ttl;                    /* seconds the service may keep it */
	const char *urgency;             /* "normal", "low", "high", ... */
	const uint8_t *body;             /* or NULL */
	size_t body_len;
	bool encrypted;                  /* aes128gcm, else JSON as is */
};

/* The request into out (Connection: close). 0 or -1 (out full). */
int push_http_request(const struct push_req *q, struct buf *out);

struct push_resp {
	int status;                      /* 100..599 */
	uint32_t retry_after;            /* seconds; 0 when absent */
};

/* Parse a response head from p (n bytes read so far): 1 when the head is
 * complete (r set), 0 when more bytes are needed, -1 when it is not HTTP
 * or is past PUSH_RESP_HEAD_MAX. Interim 1xx responses are skipped. */
int push_http_response(const uint8_t *p, size_t n, struct push_resp *r);

#endif
