/* http: bounded request parser and response writer (see http.h). */
#include "http.h"

#include <string.h>
#include <strings.h>

/* A line of the head: [start, start+len), without its CR LF. */
struct line {
	const uint8_t *p;
	size_t len;
};

/* What the header lines told us. */
struct head_facts {
	unsigned hosts;
	unsigned content_lengths;
	bool body;                 /* Content-Length > 0 or Transfer-Encoding */
};

static bool
is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
is_field_byte(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* The bytes before the first LF can still be refused early: a request line
 * holds only visible ASCII, SP, and one CR right before the LF. */
static bool
partial_line_ok(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\r')
			return i + 1 == len;        /* the LF may follow */
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	}
	return true;
}

/* Cut a line ending at p[nl] == '\n'; a CR is allowed only right before. */
static bool
cut_line(const uint8_t *start, const uint8_t *nl, struct line *l)
{
	size_t n = (size_t)(nl - start);
	if (n > 0 && start[n - 1] == '\r')
		n--;
	if (memchr(start, '\r', n) != NULL)
		return false;
	l->p = start;
	l->len = n;
	return true;
}

static bool
word_eq(const uint8_t *p, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp((const char *)p, w, n) == 0;
}

static enum http_method
method_of(const uint8_t *p, size_t n)
{
	/* methods are case-sensitive (RFC 9110 9.1) */
	if (n == 3 && memcmp(p, "GET", 3) == 0)
		return HTTP_GET;
	if (n == 4 && memcmp(p, "HEAD", 4) == 0)
		return HTTP_HEAD;
	return HTTP_OTHER;
}

/* Content-Length: 1*DIGIT; 0 is the only value that means no body. */
static bool
content_length_ok(const uint8_t *v, size_t n, bool *body)
{
	if (n == 0 || n > 19)
		return false;
	bool zero = true;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		if (v[i] != '0')
			zero = false;
	}
	if (!zero)
		*body = true;
	return true;
}

static bool
parse_header(const struct line *l, struct head_facts *f)
{
	size_t i = 0;
	while (i < l->len && is_tchar(l->p[i]))
		i++;
	/* no obs-fold, no space before the colon, a non-empty name */
	if (i == 0 || i >= l->len || l->p[i] != ':')
		return false;
	size_t name_len = i++;
	while (i < l->len && (l->p[i] == ' ' || l->p[i] == '\t'))
		i++;
	size_t end = l->len;
	while (end > i && (l->p[end - 1] == ' ' || l->p[end - 1] == '\t'))
		end--;
	for (size_t k = i; k < end; k++)
		if (!is_field_byte(l->p[k]))
			return false;
	const uint8_t *v = l->p + i;
	size_t vlen = end - i;
	if (word_eq(l->p, name_len, "host")) {
		f->hosts++;
	} else if (word_eq(l->p, name_len, "content-length")) {
		f->content_lengths++;
		if (!content_length_ok(v, vlen, &f->body))
			return false;
	} else if (word_eq(l->p, name_len, "transfer-encoding")) {
		f->body = true;
	}
	return true;
}

struct reqline {
	enum http_method method;
	const uint8_t *target;
	size_t target_len;
	int major, minor;
};

static bool
parse_request_line(const struct line *l, struct reqline *r)
{
	size_t i = 0;
	while (i < l->len && is_tchar(l->p[i]))
		i++;
	if (i == 0 || i > 16 || i >= l->len || l->p[i] != ' ')
		return false;
	r->method = method_of(l->p, i);
	size_t t = ++i;
	while (i < l->len && l->p[i] > 0x20 && l->p[i] < 0x7f)
		i++;
	if (i == t || i >= l->len || l->p[i] != ' ')
		return false;
	r->target = l->p + t;
	r->target_len = i - t;
	i++;
	const uint8_t *v = l->p + i;
	if (l->len - i != 8 || memcmp(v, "HTTP/", 5) != 0 ||
	    v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
		return false;
	r->major = v[5] - '0';
	r->minor = v[7] - '0';
	return true;
}

/* The path of an origin-form or absolute-form target; false for the
 * others (asterisk-form, authority-form) and for fragments. */
static bool
target_path(const uint8_t *t, size_t n, const uint8_t **path, size_t *plen)
{
	if (memchr(t, '#', n) != NULL)
		return false;
	size_t skip = 0;
	if (n >= 7 && strncasecmp((const char *)t, "http://", 7) == 0)
		skip = 7;
	else if (n >= 8 && strncasecmp((const char *)t, "https://", 8) == 0)
		skip = 8;
	if (skip) {
		const uint8_t *slash = memchr(t + skip, '/', n - skip);
		const uint8_t *q = memchr(t + skip, '?', n - skip);
		if (slash == NULL || (q != NULL && q < slash)) {
			*path = (const uint8_t *)"/";
			*plen = 1;
			return true;
		}
		n -= (size_t)(slash - t);
		t = slash;
	}
	if (n == 0 || t[0] != '/')
		return false;
	const uint8_t *q = memchr(t, '?', n);
	*path = t;
	*plen = q ? (size_t)(q - t) : n;
	return true;
}

static int
decide(const struct reqline *r, const struct head_facts *f)
{
	if (r->major != 1)
		return 505;
	if (r->minor >= 1 ? f->hosts != 1 : f->hosts > 1)
		return 400;
	if (f->content_lengths > 1 || f->body)
		return 400;
	const uint8_t *path;
	size_t plen;
	bool ok = target_path(r->target, r->target_len, &path, &plen);
	if (r->method == HTTP_OTHER)
		return 405;
	if (!ok)
		return 400;
	if (plen == 8 && memcmp(path, "/metrics", 8) == 0)
		return 200;
	return 404;
}

static int
done(struct http_request *req, int status, size_t head_len)
{
	req->status = status;
	req->head_len = head_len;
	return 1;
}

int
http_parse(const uint8_t *p, size_t len, struct http_request *req)
{
	req->method = HTTP_OTHER;
	req->status = 0;
	req->head_len = 0;
	size_t lim = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;

	const uint8_t *nl = memchr(p, '\n', lim < HTTP_MAX_LINE + 2 ?
	    lim : HTTP_MAX_LINE + 2);
	if (nl == NULL) {
		size_t seen = lim < HTTP_MAX_LINE + 2 ? lim : HTTP_MAX_LINE + 2;
		if (!partial_line_ok(p, seen))
			return done(req, 400, lim);
		if (lim > HTTP_MAX_LINE + 1)
			return done(req, 414, lim);
		return 0;
	}
	struct line rl;
	if (!cut_line(p, nl, &rl))
		return done(req, 400, (size_t)(nl - p) + 1);
	if (rl.len > HTTP_MAX_LINE)
		return done(req, 414, (size_t)(nl - p) + 1);
	struct reqline r;
	if (!parse_request_line(&rl, &r))
		return done(req, 400, (size_t)(nl - p) + 1);
	req->method = r.method;

	/* header lines until the empty one; a bad line is answered at once */
	struct head_facts f = { 0 };
	unsigned headers = 0;
	const uint8_t *pos = nl + 1;
	const uint8_t *end = p + lim;
	for (;;) {
		const uint8_t *e = memchr(pos, '\n', (size_t)(end - pos));
		if (e == NULL)
			return lim >= HTTP_MAX_HEAD ? done(req, 431, lim) : 0;
		size_t used = (size_t)(e - p) + 1;
		struct line hl;
		if (!cut_line(pos, e, &hl))
			return done(req, 400, used);
		if (hl.len == 0)
			return done(req, decide(&r, &f), used);
		if (++headers > HTTP_MAX_HEADERS)
			return done(req, 431, used);
		if (!parse_header(&hl, &f))
			return done(req, 400, used);
		pos = e + 1;
	}
}

static const struct {
	int status;
	const char *reason;
} reasons[] = {
	{ 200, "OK" },
	{ 400, "Bad Request" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 414, "URI Too Long" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 505, "HTTP Version Not Supported" },
};

const char *
http_reason(int status)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Error";
}

int
http_response(struct buf *out, int status, bool head_only,
    const char *content_type, const void *body, size_t body_len)
{
	(void)buf_printf(out, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "Connection: close\r\n"
	    "%s"
	    "\r\n", status, http_reason(status), content_type, body_len,
	    status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (!head_only)
		(void)buf_append(out, body, body_len);
	return out->failed ? -1 : 0;
}
