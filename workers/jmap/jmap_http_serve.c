/* jmap_http_serve: the Session resource (RFC 8620 section 2), the API
 * endpoint (section 3.1) and uploads (section 6.1): the HTTP framing
 * around jmap_api.h. */
#include "jmap_blob.h"
#include "buf.h"
#include "jmap_http.h"
#include "jmap_http_resp.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

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
		size_t k = len - off < CLIENT_CONN_OUT_SOFT ? len - off :
		    CLIENT_CONN_OUT_SOFT;
		buf_append(b, body + off, k);
		off += k;
		if (client_conn_maybe_flush(&s->conn) < 0)
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

/* The upload's media type: the request's Content-Type when it is
 * "type/subtype" of token characters (parameters kept if they are too),
 * else application/octet-stream. */
static void
upload_type(struct http_str ct, char *out, size_t size)
{
	bool ok = ct.n > 2 && ct.n < size && memchr(ct.p, '/', ct.n) != NULL;
	for (size_t i = 0; ok && i < ct.n; i++) {
		unsigned char c = (unsigned char)ct.p[i];
		ok = c >= ' ' && c < 127 && c != '"' && c != '\\';
	}
	if (ok)
		(void)buf_strlcpy(out, size, ct.p, ct.n);
	else
		(void)buf_strlcpy(out, size, "application/octet-stream", 24);
}

/* The reader's sink: body bytes into the upload's memfd as they come. */
static int
upload_sink(void *arg, const uint8_t *p, size_t n)
{
	const int *fd = arg;
	return buf_write_all(*fd, p, n);
}

int
jmap_http_upload_begin(struct jmap_http_session *s)
{
	jmap_http_upload_end(s);
	s->upload_fd = memfd_create("jmap-upload", MFD_CLOEXEC);
	if (s->upload_fd < 0)
		return -1;
	http_reader_sink(&s->rd, upload_sink, &s->upload_fd);
	return 0;
}

void
jmap_http_upload_end(struct jmap_http_session *s)
{
	if (s->upload_fd >= 0)
		close(s->upload_fd);
	s->upload_fd = -1;
}

void
jmap_http_too_large(struct jmap_http_session *s, const char *limit,
    size_t max)
{
	char body[256];
	s->close = true;   /* the rest of the body is not read */
	/* RFC 8620 3.6.1: a request-level "limit" error names the limit */
	(void)buf_snprintf(body, sizeof(body), "{\"type\":\"urn:ietf:params:"
	    "jmap:error:limit\",\"status\":413,\"limit\":\"%s\","
	    "\"detail\":\"The body is larger than %s (%zu)\"}", limit, limit,
	    max);
	(void)json_response(s, 413, "application/problem+json", body,
	    strlen(body));
}

/* The body streamed into upload_fd as it came (jmap_http_upload_begin),
 * never held whole in this process's memory; stored copies it from
 * there. One request at a time per connection, and a connection per
 * process:
 * an upload never runs beside another of the same connection, so
 * maxConcurrentUpload holds per connection by construction. */
int
jmap_http_upload(struct jmap_http_session *s)
{
	if (strcmp(s->rt.account, s->account_id) != 0) {
		jmap_http_upload_end(s);
		jmap_http_error(s, 404, false, "No such account");
		return 0;
	}
	if (s->upload_fd < 0) {   /* the body was not streamed: cannot be */
		jmap_http_error(s, 500, true, "Upload without its body");
		return 0;
	}
	char type[128];
	upload_type(s->rd.req.content_type, type, sizeof(type));
	uint8_t id[STORE_BLOBID_LEN];
	uint64_t size = s->rd.sunk;   /* the body went to upload_fd */
	int rc = store_blob_upload(s->sc, s->upload_fd, size, id);
	jmap_http_upload_end(s);
	if (rc == STORE_E_IO || rc == STORE_E_PROTO)
		return -1;
	if (rc == STORE_E_QUOTA) {
		jmap_http_error(s, 413, false, "Over quota");
		return 0;
	}
	if (rc < 0) {
		jmap_http_error(s, 503, false, "Store error");
		return 0;
	}
	char blobid[JMAP_BLOBID_MAX];
	jmap_blobid_fmt(blobid, id, 0);
	json_t *res = json_pack("{s:s, s:s, s:s, s:I}", "accountId",
	    s->account_id, "blobId", blobid, "type", type, "size",
	    (json_int_t)size);
	char *text = res ? json_dumps(res, JSON_COMPACT) : NULL;
	json_decref(res);
	if (text == NULL) {
		jmap_http_error(s, 500, true, "Out of memory");
		return 0;
	}
	rc = json_response(s, 201, "application/json", text, strlen(text));
	free(text);
	return rc;
}
