/* jmap_http_cookie: one cookie out of a Cookie header (see
 * jmap_http_cookie.h). */
#include "jmap_http_cookie.h"

#include <string.h>

struct http_str
http_cookie_get(struct http_str header, const char *name)
{
	struct http_str found = { NULL, 0 };
	size_t nlen = strlen(name);
	size_t i = 0;
	unsigned hits = 0;
	while (i < header.n) {
		while (i < header.n && (header.p[i] == ' ' || header.p[i] == '\t'))
			i++;
		size_t start = i;
		const char *semi = memchr(header.p + i, ';', header.n - i);
		size_t end = semi ? (size_t)(semi - header.p) : header.n;
		const char *eq = memchr(header.p + start, '=', end - start);
		if (eq != NULL && (size_t)(eq - (header.p + start)) == nlen &&
		    memcmp(header.p + start, name, nlen) == 0) {
			size_t v = start + nlen + 1, e = end;
			while (e > v && (header.p[e - 1] == ' ' ||
			    header.p[e - 1] == '\t'))
				e--;
			found = (struct http_str){ header.p + v, e - v };
			hits++;
		}
		i = end + 1;
	}
	if (hits != 1 || found.n == 0)
		return (struct http_str){ NULL, 0 };
	return found;
}
