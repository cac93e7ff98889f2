/* jmap_http_req: the HTTP/1.1 request reader (see jmap_http_req.h). */
#include "jmap_http_req.h"

#include <string.h>
#include <strings.h>

/* Empty lines tolerated before a request line (RFC 9112 section 2.2). */
#define MAX_LEADING_CRLF 8

void
http_reader_init(struct http_reader *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 0);
}

void
http_reader_reset(struct http_reader *r)
{
	buf_free(&r->body);
	http_reader_init(r);
}

void
http_reader_free(struct http_reader *r)
{
	buf_free(&r->body);
}

bool
http_str_eq(struct http_str s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

static bool
is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
is_token(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)p[i]))
			return false;
	return true;
}

static enum http_method
method_of(struct http_str m)
{
	static const struct { const char *name; enum http_method m; } t[] = {
		{ "GET", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "POST", HTTP_POST },
		{ "OPTIONS", HTTP_OPTIONS },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (m.n == strlen(t[i].name) && memcmp(m.p, t[i].name, m.n) == 0)
			return t[i].m;   /* methods are case-sensitive */
	return HTTP_OTHER;
}

/* "METHOD SP target SP HTTP/1.x" (n bytes, no CRLF). 0 or a status. */
static int
parse_request_line(struct http_req *q, const char *p, size_t n)
{
	const char *sp1 = memchr(p, ' ', n);
	if (sp1 == NULL)
		return 400;
	const char *t = sp1 + 1;
	const char *sp2 = memchr(t, ' ', (size_t)(p + n - t));
	if (sp2 == NULL)
		return 400;
	q->method_name = (struct http_str){ p, (size_t)(sp1 - p) };
	if (!is_token(p, q->method_name.n))
		return 400;
	q->method = method_of(q->method_name);
	size_t tlen = (size_t)(sp2 - t);
	if (tlen == 0 || (t[0] != '/' && !(tlen == 1 && t[0] == '*')))
		return 400;
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f ||
		    t[i] == '#')
			return 400;
	const char *qm = memchr(t, '?', tlen);
	q->path = (struct http_str){ t, qm ? (size_t)(qm - t) : tlen };
	q->query = qm ? (struct http_str){ qm + 1, (size_t)(sp2 - qm - 1) } :
	    (struct http_str){ sp2, 0 };
	const char *v = sp2 + 1;
	size_t vlen = (size_t)(p + n - v);
	if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' ||
	    v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
		return 400;
	if (v[5] != '1')
		return 505;
	q->minor = v[7] - '0';
	q->keep_alive = q->minor >= 1;
	return 0;
}

static int
set_once(struct http_str *dst, struct http_str v)
{
	if (dst->p != NULL)
		return 400;   /* a repeated singleton header is ambiguous */
	*dst = v;
	return 0;
}

static int
parse_length(struct http_req *q, struct http_str v)
{
	if (q->has_length || v.n == 0 || v.n > 15)
		return 400;
	uint64_t x = 0;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return 400;
		x = x * 10 + (uint64_t)(v.p[i] - '0');
	}
	q->has_length = true;
	q->content_length = x;
	return 0;
}

/* Connection: a comma list; "close" and "keep-alive" matter. */
static void
parse_connection(struct http_req *q, struct http_str v)
{
	size_t i = 0;
	while (i < v.n) {
		while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
			i++;
		size_t s = i;
		while (i < v.n && v.p[i] != ',' && v.p[i] != ' ' && v.p[i] != '\t')
			i++;
		struct http_str tok = { v.p + s, i - s };
		if (http_str_eq(tok, "close"))
			q->keep_alive = false;
		else if (http_str_eq(tok, "keep-alive") && q->minor == 0)
			q->keep_alive = true;
	}
}

static int
header(struct http_req *q, struct http_str name, struct http_str v)
{
	if (http_str_eq(name, "host"))
		return set_once(&q->host, v);
	if (http_str_eq(name, "authorization"))
		return set_once(&q->authorization, v);
	if (http_str_eq(name, "content-type"))
		return set_once(&q->content_type, v);
	if (http_str_eq(name, "origin"))
		return set_once(&q->origin, v);
	if (http_str_eq(name, "access-control-request-method"))
		return set_once(&q->acr_method, v);
	if (http_str_eq(name, "expect"))
		return set_once(&q->expect, v);
	if (http_str_eq(name, "cookie"))
		return set_once(&q->cookie, v);
	if (http_str_eq(name, "content-length"))
		return parse_length(q, v);
	if (http_str_eq(name, "connection"))
		parse_connection(q, v);
	if (http_str_eq(name, "transfer-encoding")) {
		if (q->chunked)
			return 400;
		if (!http_str_eq(v, "chunked"))
			return 501;   /* no other coding is implemented */
		q->chunked = true;
	}
	return 0;
}

/* One header line (no CRLF). 0 or a status. */
static int
parse_header_line(struct http_req *q, const char *p, size_t n)
{
	if (n > 0 && (p[0] == ' ' || p[0] == '\t'))
		return 400;   /* obs-fold */
	const char *colon = memchr(p, ':', n);
	if (colon == NULL || !is_token(p, (size_t)(colon - p)))
		return 400;
	if (++q->nheaders > HTTP_MAX_HEADERS)
		return 431;
	const char *v = colon + 1, *e = p + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	for (const char *c = v; c < e; c++)
		if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
			return 400;
	return header(q, (struct http_str){ p, (size_t)(colon - p) },
	    (struct http_str){ v, (size_t)(e - v) });
}

/* The whole head is in r->head (ending in CRLF CRLF). */
static int
parse_head(struct http_reader *r)
{
	struct http_req *q = &r->req;
	const char *p = r->head, *end = r->head + r->head_len - 2;
	const char *eol = memchr(p, '\r', (size_t)(end - p));
	int st = parse_request_line(q, p, (size_t)(eol - p));
	if (st != 0)
		return st;
	for (p = eol + 2; p < end; p = eol + 2) {
		eol = memchr(p, '\r', (size_t)(end - p));
		if ((st = parse_header_line(q, p, (size_t)(eol - p))) != 0)
			return st;
	}
	if (q->chunked && q->has_length)
		return 400;   /* RFC 9112 section 6.3: a smuggling vector */
	if (q->minor >= 1 && q->host.p == NULL)
		return 400;
	return 0;
}

/* Collect the head byte by byte: CRLF only; limits on the request line and
 * on the whole head. */
static int
feed_head(struct http_reader *r, const uint8_t *in, size_t n, size_t *used)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = in[i++];
		if (r->head_len == 0 && (c == '\r' || c == '\n')) {
			if (++r->trailer_bytes > 2 * MAX_LEADING_CRLF)
				break;
			continue;
		}
		if (r->head_len == sizeof(r->head)) {
			*used = i;
			return 431;
		}
		if (c == '\n' && (r->head_len == 0 || r->head[r->head_len - 1] != '\r')) {
			*used = i;
			return 400;   /* a bare LF */
		}
		if (r->head_len > 0 && r->head[r->head_len - 1] == '\r' && c != '\n') {
			*used = i;
			return 400;   /* a bare CR */
		}
		if (c == 0) {
			*used = i;
			return 400;
		}
		r->head[r->head_len++] = (char)c;
		if (r->line_len_req == 0 && c == '\n')
			r->line_len_req = r->head_len;
		if (r->line_len_req > 0 &&
		    r->head_len - r->line_len_req > HTTP_MAX_HEADER_BYTES) {
			*used = i;
			return 431;
		}
		if (r->line_len_req == 0 && r->head_len > HTTP_MAX_REQUEST_LINE) {
			*used = i;
			return 414;
		}
		if (r->head_len >= 4 && memcmp(r->head + r->head_len - 4,
		    "\r\n\r\n", 4) == 0) {
			*used = i;
			r->trailer_bytes = 0;
			int st = parse_head(r);
			if (st != 0)
				return st;
			r->st = RDS_WAIT_BODY;
			return HTTP_RD_HEAD;
		}
	}
	*used = i;
	return r->trailer_bytes > 2 * MAX_LEADING_CRLF ? 400 : HTTP_RD_MORE;
}

int
http_reader_body(struct http_reader *r, size_t max)
{
	struct http_req *q = &r->req;
	buf_free(&r->body);
	buf_init(&r->body, max);
	if (q->chunked) {
		r->st = RDS_CHUNK_SIZE;
		return HTTP_RD_MORE;
	}
	if (q->has_length && q->content_length > max)
		return 413;
	if (!q->has_length || q->content_length == 0) {
		r->st = RDS_DONE;
		return HTTP_RD_DONE;
	}
	r->left = q->content_length;
	if (r->sink == NULL && buf_reserve(&r->body, (size_t)r->left) < 0)
		return 413;
	r->st = RDS_LENGTH;
	return HTTP_RD_MORE;
}

/* Collect a CRLF-terminated line into r->line. 1 complete (line_len
 * excludes CRLF), 0 need more, or a status. */
static int
take_line(struct http_reader *r, const uint8_t *in, size_t n, size_t *i)
{
	while (*i < n) {
		uint8_t c = in[(*i)++];
		if (r->line_len > 0 && r->line[r->line_len - 1] == '\r') {
			if (c != '\n')
				return 400;
			r->line_len--;
			return 1;
		}
		if (c == '\n' || c == 0)
			return 400;
		if (r->line_len == sizeof(r->line))
			return r->st == RDS_TRAILER ? 431 : 400;
		r->line[r->line_len++] = (char)c;
	}
	return 0;
}

/* "HEX[;ext]" -> r->left. 0 or a status. */
static int
chunk_size(struct http_reader *r)
{
	uint64_t x = 0;
	size_t i = 0;
	for (; i < r->line_len; i++) {
		char c = r->line[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
		    c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			break;
		if (i >= 15)
			return 413;
		x = x * 16 + (uint64_t)d;
	}
	if (i == 0 || (i < r->line_len && r->line[i] != ';' &&
	    r->line[i] != ' ' && r->line[i] != '\t'))
		return 400;
	r->left = x;
	return 0;
}

void
http_reader_sink(struct http_reader *r, http_body_sink sink, void *arg)
{
	r->sink = sink;
	r->sink_arg = arg;
	r->sunk = 0;
}

/* Body bytes kept so far, in the buffer or handed to the sink. */
static uint64_t
body_held(const struct http_reader *r)
{
	return r->body.len + r->sunk;
}

/* k body bytes to the sink or the buffer: 0, or 413. */
static int
take_body(struct http_reader *r, const uint8_t *p, size_t k)
{
	if (r->sink == NULL)
		return buf_append(&r->body, p, k) < 0 ? 413 : 0;
	if (k > r->body.max - body_held(r) || r->sink(r->sink_arg, p, k) < 0)
		return 413;
	r->sunk += k;
	return 0;
}

static int
feed_body(struct http_reader *r, const uint8_t *in, size_t n, size_t *used)
{
	size_t i = 0;
	int st = HTTP_RD_MORE;
	while (st == HTTP_RD_MORE && (i < n || r->st == RDS_DONE)) {
		switch (r->st) {
		case RDS_LENGTH:
		case RDS_CHUNK_DATA: {
			size_t k = n - i < r->left ? n - i : (size_t)r->left;
			if ((st = take_body(r, in + i, k)) != HTTP_RD_MORE)
				break;
			i += k;
			r->left -= k;
			if (r->left == 0)
				r->st = r->st == RDS_LENGTH ? RDS_DONE : RDS_CHUNK_CRLF;
			break;
		}
		case RDS_CHUNK_CRLF:
			if (in[i] != (r->line_len == 0 ? '\r' : '\n')) {
				st = 400;
				break;
			}
			i++;
			if (++r->line_len == 2) {
				r->line_len = 0;
				r->st = RDS_CHUNK_SIZE;
			}
			break;
		case RDS_CHUNK_SIZE:
		case RDS_TRAILER: {
			size_t before = i;
			int got = take_line(r, in, n, &i);
			if (r->st == RDS_TRAILER &&
			    (r->trailer_bytes += i - before) > HTTP_MAX_TRAILER_BYTES)
				got = 431;
			if (got > 1 || got < 0) {
				st = got;
				break;
			}
			if (got == 0)
				break;
			if (r->st == RDS_TRAILER) {
				if (r->line_len == 0)
					r->st = RDS_DONE;
			} else if ((st = chunk_size(r)) == 0) {
				st = HTTP_RD_MORE;
				r->st = r->left == 0 ? RDS_TRAILER : RDS_CHUNK_DATA;
				if (r->left > r->body.max - body_held(r))
					st = 413;
			}
			r->line_len = 0;
			break;
		}
		case RDS_DONE:
			st = HTTP_RD_DONE;
			break;
		default:
			st = 400;
			break;
		}
	}
	*used = i;
	return st;
}

int
http_reader_feed(struct http_reader *r, const uint8_t *in, size_t n,
    size_t *used)
{
	*used = 0;
	switch (r->st) {
	case RDS_HEAD:
		return feed_head(r, in, n, used);
	case RDS_WAIT_BODY:
		return HTTP_RD_HEAD;   /* the caller must call http_reader_body */
	case RDS_DONE:
		return HTTP_RD_DONE;
	default:
		return feed_body(r, in, n, used);
	}
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decode p (n bytes) into dst; '+' is a space when plus. */
static int
pct_decode(const char *p, size_t n, char *dst, size_t dstsize, bool plus)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			int h = hexval(p[i + 1]), l = hexval(p[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			c = (char)(h * 16 + l);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c == 0 || o + 1 >= dstsize)
			return -1;
		dst[o++] = c;
	}
	if (dstsize == 0)
		return -1;
	dst[o] = '\0';
	return 0;
}

int
http_pct_decode(const char *p, size_t n, char *dst, size_t dstsize)
{
	if (pct_decode(p, n, dst, dstsize, false) < 0 || strchr(dst, '/'))
		return -1;
	return 0;
}

int
http_query_param(struct http_str query, const char *name, char *dst,
    size_t dstsize)
{
	size_t nl = strlen(name), i = 0;
	while (i < query.n) {
		const char *s = query.p + i;
		const char *amp = memchr(s, '&', query.n - i);
		size_t len = amp ? (size_t)(amp - s) : query.n - i;
		i += len + 1;
		if (len >= nl && memcmp(s, name, nl) == 0 &&
		    (len == nl || s[nl] == '='))
			return pct_decode(s + (len > nl ? nl + 1 : nl),
			    len > nl ? len - nl - 1 : 0, dst, dstsize, true) < 0 ?
			    -1 : 1;
	}
	return 0;
}
