/* log_fmt: the parts of a log line that come from outside — a client's
 * address, a user name a client typed — made into one grep-friendly
 * key=value token that no byte of theirs can end early (see log.h). */
#include "log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

const char *
log_addr(const struct sockaddr_storage *a, char out[LOG_ADDR_MAX])
{
	memcpy(out, "-", 2);
	if (a == NULL)
		return out;
	if (a->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, out,
		    LOG_ADDR_MAX);
	} else if (a->ss_family == AF_INET6) {
		const struct in6_addr *in6 =
		    &((const struct sockaddr_in6 *)a)->sin6_addr;
		/* a v4 client on a dual-stack socket is logged as v4 */
		if (IN6_IS_ADDR_V4MAPPED(in6))
			inet_ntop(AF_INET, &in6->s6_addr[12], out, LOG_ADDR_MAX);
		else
			inet_ntop(AF_INET6, in6, out, LOG_ADDR_MAX);
	} else if (a->ss_family == AF_UNIX) {
		memcpy(out, "unix", 5);
	}
	return out;
}

/* Bytes that would split or end a token, or fool a reader of the log. */
static bool
needs_quote(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '=';
}

const char *
log_token(const char *s, size_t len, char *out, size_t outlen)
{
	bool quote = len == 0 || len >= outlen;   /* a cut one says so */
	for (size_t i = 0; i < len && !quote; i++)
		quote = needs_quote((unsigned char)s[i]);
	size_t o = 0;
	if (outlen < 8) {
		if (outlen > 0)
			out[0] = '\0';
		return out;
	}
	if (!quote) {
		o = len < outlen - 1 ? len : outlen - 1;
		memcpy(out, s, o);
		out[o] = '\0';
		return out;
	}
	out[o++] = '"';
	/* room for the longest escape (4), "..." (3), '"' and NUL */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (o + 4 + 3 + 2 > outlen) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < ' ' || c == 0x7f) {
			snprintf(out + o, 5, "\\x%02x", c);
			o += 4;
		} else {
			/* UTF-8 and spaces stay readable; log.c turns any C1
			 * control encoded in it into '?' */
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}
