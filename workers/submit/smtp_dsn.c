/* smtp_dsn: RFC 3461 parameters (see smtp_dsn.h). */
#include "smtp_dsn.h"
#include "buf.h"
#include "outbox_proto.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

bool
smtp_dsn_notify_ok(const char *s)
{
	static const char *const kw[] = { "SUCCESS", "FAILURE", "DELAY" };
	if (strcasecmp(s, "NEVER") == 0)
		return true;
	unsigned seen = 0;
	for (const char *p = s; ; ) {
		size_t n = strcspn(p, ",");
		unsigned k = 0;
		while (k < 3 && !(strlen(kw[k]) == n && strncasecmp(p, kw[k], n) == 0))
			k++;
		if (k == 3 || (seen & (1u << k)))
			return false;
		seen |= 1u << k;
		if (p[n] == '\0')
			return true;
		p += n + 1;
	}
}

int
smtp_dsn_mail(char *out, size_t size, uint64_t id)
{
	return buf_snprintf(out, size, " RET=HDRS ENVID=%s%llu",
	    STORE_OUTBOX_ENVID_PREFIX, (unsigned long long)id) < 0 ? -1 : 0;
}

/* xtext (RFC 3461 4): "+" and two hex digits for '+', '=' and anything
 * outside '!'..'~'. */
static int
xtext(char *out, size_t size, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = c >= '!' && c <= '~' && c != '+' && c != '=';
		if (o + (plain ? 1 : 3) >= size)
			return -1;
		if (plain) {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '+';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	out[o] = '\0';
	return 0;
}

int
smtp_dsn_rcpt(char *out, size_t size, const char *notify, const char *addr)
{
	char x[3 * STORE_OUTBOX_ADDR_MAX + 1];
	if (buf_snprintf(out, size, " NOTIFY=%s", notify) < 0)
		return -1;
	size_t n = strlen(out);
	if (xtext(x, sizeof(x), addr) == 0 &&
	    buf_snprintf(out + n, size - n, " ORCPT=rfc822;%s", x) < 0)
		out[n] = '\0';      /* NOTIFY alone */
	return 0;
}
