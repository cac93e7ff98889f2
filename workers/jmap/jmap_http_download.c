/* jmap_http_download: GET /jmap/download/{accountId}/{blobId}/{name}
 * ?accept={type} (RFC 8620 section 6.2). A blob is the content of one of
 * the user's messages (the store's content id); stored checks that the
 * user's messages reference it and hands over a read-only fd, which is
 * streamed (sendfile or kTLS) without a copy in this process. A Sieve
 * script's blob is its source, read from the store by name. */
#include "jmap_blob.h"
#include "jmap_http.h"
#include "jmap_sieve.h"
#include "jmap_http_resp.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A part is cut from its message in memory: messages larger than this
 * are downloaded whole only. */
#define JMAP_PART_SOURCE_MAX (64u << 20)

/* accept= as a Content-Type: "type/subtype" of token characters, else
 * application/octet-stream (nothing the client sends reaches a header
 * unchecked). */
static const char *
content_type(const char *accept)
{
	const char *slash = strchr(accept, '/');
	if (slash == NULL || slash == accept || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL)
		return "application/octet-stream";
	for (const char *c = accept; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr("/.+-_!#$&^", *c)))
			return "application/octet-stream";
	return accept;
}

/* The file name as RFC 8187 ext-value: attr-chars kept, the rest %XX. */
static void
disposition(struct buf *b, const char *name)
{
	buf_append_str(b, "Content-Disposition: attachment; filename*=UTF-8''");
	for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr("!#$&+-.^_`|~", *c))
			buf_append_byte(b, *c);
		else
			buf_printf(b, "%%%02X", *c);
	}
	buf_append_str(b, "\r\n");
}

/* body (consumed) as the response, of type type unless accept names
 * one. */
static int
send_body(struct jmap_http_session *s, struct buf *body, const char *type,
    const char *accept)
{
	struct buf *b = jmap_http_out(s);
	jmap_http_start(s, 200);
	http_resp_header(b, "Content-Type", "%s",
	    content_type(accept[0] != '\0' ? accept : type));
	disposition(b, s->rt.name);
	http_resp_header(b, "Content-Length", "%zu", body->len);
	buf_append_str(b, "\r\n");
	int r = 0;
	for (size_t off = 0; s->rd.req.method != HTTP_HEAD && off < body->len; ) {
		size_t k = body->len - off < CLIENT_CONN_OUT_SOFT ?
		    body->len - off : CLIENT_CONN_OUT_SOFT;
		buf_append(b, body->data + off, k);
		off += k;
		if ((r = client_conn_maybe_flush(&s->conn)) < 0)
			break;
	}
	buf_free(body);
	return r < 0 ? -1 : 0;
}

/* Part `part` of the message behind fd, decoded, as the response body;
 * its own media type unless accept names one. */
static int
send_part(struct jmap_http_session *s, int fd, uint64_t size, uint32_t part,
    const char *accept)
{
	uint8_t *msg = NULL;
	if (jmap_blob_read(fd, size, JMAP_PART_SOURCE_MAX, &msg) < 0) {
		jmap_http_error(s, 503, false, "Message too large to cut a part from");
		return 0;
	}
	struct buf body;
	char type[128] = "";
	buf_init(&body, (size_t)size + 16);
	int rc = jmap_blob_part(msg, (size_t)size, part, &body, type,
	    sizeof(type));
	free(msg);
	if (rc < 0) {
		buf_free(&body);
		jmap_http_error(s, 404, false, "No such blob");
		return 0;
	}
	return send_body(s, &body, type, accept);
}

/* Not a message's nor an upload's: the source of one of the user's
 * Sieve scripts (its SieveScript blobId, jmap_sieve.h), or 404. */
static int
send_script(struct jmap_http_session *s, const uint8_t id[STORE_BLOBID_LEN],
    const char *accept)
{
	struct buf src = BUF_INIT(SIEVE_SRC_MAX);
	int rc = jmap_sieve_source_by_blob(s->sc, id, &src);
	if (rc == STORE_E_IO || rc == STORE_E_PROTO) {
		buf_free(&src);
		return -1;
	}
	if (rc != STORE_OK) {
		buf_free(&src);
		jmap_http_error(s, rc == STORE_E_NOTFOUND ? 404 : 503, false,
		    rc == STORE_E_NOTFOUND ? "No such blob" : "Store error");
		return 0;
	}
	return send_body(s, &src, "application/sieve", accept);
}

int
jmap_http_download(struct jmap_http_session *s)
{
	uint8_t id[STORE_BLOBID_LEN];
	uint32_t part = 0;
	char accept[128] = "";
	if (strcmp(s->rt.account, s->account_id) != 0 ||
	    !jmap_blobid_parse(s->rt.blob, id, &part)) {
		jmap_http_error(s, 404, false, "No such blob");
		return 0;
	}
	/* RFC 8620's example names the parameter accept; type is the
	 * variable's own name, which a downloadUrl template may use too */
	struct http_str q = s->rd.req.query;
	if (http_query_param(q, "accept", accept, sizeof(accept)) != 1 &&
	    http_query_param(q, "type", accept, sizeof(accept)) != 1)
		accept[0] = '\0';
	int fd = -1;
	uint64_t size = 0;
	int rc = store_blob_get(s->sc, id, &fd, &size);
	if (rc == STORE_E_NOTFOUND && part == 0)
		return send_script(s, id, accept);
	if (rc == STORE_E_IO || rc == STORE_E_PROTO)
		return -1;
	if (rc < 0) {
		jmap_http_error(s, rc == STORE_E_NOTFOUND ? 404 : 503, false,
		    rc == STORE_E_NOTFOUND ? "No such blob" : "Store error");
		return 0;
	}
	if (part != 0) {
		int r = send_part(s, fd, size, part, accept);
		close(fd);
		return r;
	}
	struct buf *b = jmap_http_out(s);
	jmap_http_start(s, 200);
	http_resp_header(b, "Content-Type", "%s", content_type(accept));
	disposition(b, s->rt.name);
	http_resp_header(b, "Content-Length", "%llu", (unsigned long long)size);
	buf_append_str(b, "\r\n");
	int r = 0;
	if (s->rd.req.method != HTTP_HEAD)
		r = client_conn_send_file(&s->conn, fd, 0, size);
	close(fd);
	return r;
}
