/* jmap_http_serve: the Session resource (RFC 8620 section 2), the API
 * endpoint (section 3.1) and uploads (section 6.1): the HTTP framing
 * around jmap_api.h. */
#include "jmap_http.h"
#include "jmap_http_resp.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A Host header fit to be echoed into URLs: host[:port] characters only. */
static bool
host_ok(struct http_str h)
{
	if (h.n == 0 || h.n > 200)
		return false;
	for (size_t i = 0; i < h.n; i++) {
		char c = h.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(".-:[]", c) != NULL))
			return false;
	}
	return true;
}

/* The whole response; a body larger than the output buffer's hard limit
 * goes out in pieces, flushed as they fill it. -1 if the client is gone. */
static int
json_response(struct jmap_http_session *s, int status, const char *ctype,
    const char *body, size_t len)
{
	struct buf *b = jmap_http_out(s);
	jmap_http_start(s, status);
	http_resp_body(b, ctype, NULL, len);
	if (s->rd.req.method == HTTP_HEAD)
		return 0;   /* the same headers, no body */
	for (size_t off = 0; off < len; ) {
		size_t k = len - off < IMAP_CONN_OUT_SOFT ? len - off :
		    IMAP_CONN_OUT_SOFT;
		buf_append(b, body + off, k);
		off += k;
		if (imap_conn_maybe_flush(&s->conn) < 0)
			return -1;
	}
	return 0;
}

int
jmap_http_session_resource(struct jmap_http_session *s)
{
	char base[JMAP_BASE_URL_MAX + 16];
	struct http_str h = s->rd.req.host;
	if (s->opt->base_url[0] != '\0')
		(void)buf_strlcpy(base, sizeof(base), s->opt->base_url,
		    strlen(s->opt->base_url));
	else if (host_ok(h))
		(void)buf_snprintf(base, sizeof(base), "%s://%.*s",
		    s->conn.tls ? "https" : "http", (int)h.n, h.p);
	else {
		jmap_http_error(s, 400, true, "Bad Host header");
		return 0;
	}
	json_t *res = jmap_session_resource(&s->acct, base);
	char *text = res ? json_dumps(res, JSON_COMPACT) : NULL;
	json_decref(res);
	if (text == NULL) {
		jmap_http_error(s, 500, true, "Out of memory");
		return 0;
	}
	int rc = json_response(s, 200, "application/json", text, strlen(text));
	free(text);
	return rc;
}

/* application/json, with parameters or without. */
static bool
is_json(struct http_str ct)
{
	static const char t[] = "application/json";
	size_t n = sizeof(t) - 1;
	if (ct.n < n || strncasecmp(ct.p, t, n) != 0)
		return false;
	return ct.n == n || ct.p[n] == ';' || ct.p[n] == ' ';
}

int
jmap_http_api(struct jmap_http_session *s)
{
	if (!is_json(s->rd.req.content_type)) {
		jmap_http_error(s, 415, false, "The API takes application/json");
		return 0;
	}
	struct jmap_response r = { 0 };
	jmap_api_handle(&s->acct, (const char *)s->rd.body.data, s->rd.body.len,
	    &r);
	if (r.store_lost)
		s->close = true;   /* the store channel is gone: answer, then end */
	if (r.body == NULL) {
		jmap_http_error(s, 500, true, "Out of memory");
		return 0;
	}
	int rc = json_response(s, r.status, r.problem ?
	    "application/problem+json" : "application/json", r.body, r.len);
	free(r.body);
	/* a large request's buffer goes back now, not at the next one */
	http_reader_reset(&s->rd);
	return rc;
}

int
jmap_http_upload(struct jmap_http_session *s)
{
	if (strcmp(s->rt.account, s->account_id) != 0) {
		jmap_http_error(s, 404, false, "No such account");
		return 0;
	}
	/* the store keeps blobs of messages only: an uploaded blob has no
	 * place there yet */
	jmap_http_error(s, 501, false, "Uploads are not implemented yet");
	return 0;
}
