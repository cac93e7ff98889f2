/* jmap_http_download: GET /jmap/download/{accountId}/{blobId}/{name}
 * ?accept={type} (RFC 8620 section 6.2). A blob is the content of one of
 * the user's messages (the store's content id); stored checks that the
 * user's messages reference it and hands over a read-only fd, which is
 * streamed (sendfile or kTLS) without a copy in this process. */
#include "jmap_http.h"
#include "jmap_http_resp.h"
#include "log.h"

#include <string.h>
#include <unistd.h>

/* "G" + 64 hex digits of the store's content id (a leading letter, then
 * the id, as the API side writes blobIds). 0, or -1 if not one. */
static int
parse_blobid(const char *s, uint8_t id[STORE_BLOBID_LEN])
{
	if (strlen(s) != 1 + 2 * STORE_BLOBID_LEN || s[0] != 'G')
		return -1;
	for (size_t i = 0; i < STORE_BLOBID_LEN; i++) {
		int v = 0;
		for (int k = 1; k <= 2; k++) {
			char c = s[2 * i + (size_t)k];
			int d = c >= '0' && c <= '9' ? c - '0' :
			    c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
			if (d < 0)
				return -1;
			v = v * 16 + d;
		}
		id[i] = (uint8_t)v;
	}
	return 0;
}

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

int
jmap_http_download(struct jmap_http_session *s)
{
	uint8_t id[STORE_BLOBID_LEN];
	char accept[128] = "";
	if (strcmp(s->rt.account, s->account_id) != 0 ||
	    parse_blobid(s->rt.blob, id) < 0) {
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
	if (rc == STORE_E_IO || rc == STORE_E_PROTO)
		return -1;
	if (rc < 0) {
		jmap_http_error(s, rc == STORE_E_NOTFOUND ? 404 : 503, false,
		    rc == STORE_E_NOTFOUND ? "No such blob" : "Store error");
		return 0;
	}
	struct buf *b = jmap_http_out(s);
	jmap_http_start(s, 200);
	http_resp_header(b, "Content-Type", "%s", content_type(accept));
	disposition(b, s->rt.name);
	http_resp_header(b, "Content-Length", "%llu", (unsigned long long)size);
	buf_append_str(b, "\r\n");
	int r = 0;
	if (s->rd.req.method != HTTP_HEAD)
		r = imap_conn_send_file(&s->conn, fd, 0, size);
	close(fd);
	return r;
}
