/*
 * import_imap_url: the IMAP import source's URL (import_imap.h):
 * imaps://[USER[*ADMIN]@]HOST[:PORT] or imap://..., HOST a name, an IPv4
 * address or [IPv6], %XX escapes in USER and ADMIN.
 */
#include "import_imap.h"

#include <stdio.h>
#include <string.h>

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Copy s[0..n) into the store, decoding %XX when decode is set; the copy,
 * or NULL if it does not fit or is malformed. */
static const char *
keep(const char *s, size_t n, bool decode, char **store, size_t *left)
{
	char *out = *store, *w = out;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (decode && c == '%') {
			if (i + 2 >= n)
				return NULL;
			int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return NULL;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if ((size_t)(w - out) + 1 >= *left)
			return NULL;
		*w++ = c;
	}
	*w++ = 0;
	*left -= (size_t)(w - out);
	*store = w;
	return out;
}

static int
userinfo(const char *s, size_t n, struct import_imap_opts *o, char **store,
    size_t *left)
{
	const char *star = memchr(s, '*', n);
	size_t ulen = star ? (size_t)(star - s) : n;
	o->user = keep(s, ulen, true, store, left);
	o->admin = star ? keep(star + 1, n - ulen - 1, true, store, left) : NULL;
	if (o->user == NULL || o->user[0] == 0 ||
	    (star != NULL && (o->admin == NULL || o->admin[0] == 0)))
		return -1;
	return 0;
}

static int
hostport(const char *s, size_t n, struct import_imap_opts *o, char **store,
    size_t *left)
{
	const char *colon;
	size_t hlen;
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (close == NULL)
			return -1;
		o->conn.host = keep(s + 1, (size_t)(close - s - 1), false, store,
		    left);
		colon = close + 1 < s + n && close[1] == ':' ? close + 1 : NULL;
		if (colon == NULL && close + 1 != s + n)
			return -1;
	} else {
		colon = memchr(s, ':', n);
		hlen = colon ? (size_t)(colon - s) : n;
		o->conn.host = keep(s, hlen, false, store, left);
	}
	if (colon != NULL) {
		size_t plen = n - (size_t)(colon + 1 - s);
		if (plen == 0 || plen > 5 || strspn(colon + 1, "0123456789") < plen)
			return -1;
		o->conn.port = keep(colon + 1, plen, false, store, left);
	}
	return o->conn.host == NULL || o->conn.host[0] == 0 ||
	    o->conn.port == NULL ? -1 : 0;
}

int
import_imap_url(const char *url, struct import_imap_opts *o, char *store,
    size_t size, char *err, size_t errsize)
{
	memset(o, 0, sizeof(*o));
	o->conn.timeout_s = 120;
	o->conn.max_literal = IMPORT_IMAP_MAX_MESSAGE_DEFAULT;
	const char *rest;
	if (strncmp(url, "imaps://", 8) == 0) {
		o->conn.tls = IMAPC_TLS_IMPLICIT;
		o->conn.port = "993";
		rest = url + 8;
	} else if (strncmp(url, "imap://", 7) == 0) {
		o->conn.tls = IMAPC_TLS_STARTTLS;
		o->conn.port = "143";
		rest = url + 7;
	} else {
		snprintf(err, errsize, "%s: not an imap:// or imaps:// URL", url);
		return -1;
	}
	size_t n = strcspn(rest, "/?#");
	if (rest[n] == '/' && rest[n + 1] == 0)
		;   /* a trailing slash is allowed */
	else if (rest[n] != 0) {
		snprintf(err, errsize, "%s: a path or query is not understood",
		    url);
		return -1;
	}
	const char *at = memrchr(rest, '@', n);
	char *st = store;
	size_t left = size;
	if (at == NULL || userinfo(rest, (size_t)(at - rest), o, &st, &left) < 0 ||
	    hostport(at + 1, n - (size_t)(at + 1 - rest), o, &st, &left) < 0) {
		snprintf(err, errsize, "%s: expected imap[s]://USER[*ADMIN]@HOST"
		    "[:PORT]", url);
		return -1;
	}
	return 0;
}
