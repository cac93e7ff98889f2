/* push_url: the parts of a push endpoint URL (push_url.h). */
#include "push_url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
push_url_parse(const char *url, struct push_url *u)
{
	if (strncasecmp(url, "https://", 8) != 0)
		return -1;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return -1;
	const char *a = url + 8;
	size_t an = strcspn(a, "/?#");
	const char *end = a + an;
	if (memchr(a, '@', an) != NULL || an == 0)
		return -1;
	const char *h = a, *he;
	if (*a == '[') {
		h = a + 1;
		he = memchr(a, ']', an);
		if (he == NULL)
			return -1;
	} else {
		he = memchr(a, ':', an);
		if (he == NULL)
			he = end;
	}
	const char *pe = *a == '[' ? he + 1 : he;
	size_t hn = (size_t)(he - h);
	if (hn == 0 || hn >= sizeof(u->host))
		return -1;
	memcpy(u->host, h, hn);
	u->host[hn] = '\0';
	for (size_t i = 0; i < hn; i++)
		u->host[i] = (char)tolower((unsigned char)u->host[i]);
	u->port = 443;
	if (pe < end) {
		char *e;
		if (*pe != ':' || pe + 1 == end)
			return -1;
		unsigned long v = strtoul(pe + 1, &e, 10);
		if (e != end || v == 0 || v > 65535 || !isdigit((unsigned char)
		    pe[1]))
			return -1;
		u->port = (uint16_t)v;
	}
	size_t tn = strcspn(end, "#");
	if (tn + 2 > sizeof(u->target))
		return -1;
	snprintf(u->target, sizeof(u->target), "%s%.*s", *end == '/' ? "" :
	    "/", (int)tn, end);
	const char *lb = *a == '[' ? "[" : "", *rb = *a == '[' ? "]" : "";
	if (u->port == 443)
		snprintf(u->origin, sizeof(u->origin), "https://%s%s%s", lb,
		    u->host, rb);
	else
		snprintf(u->origin, sizeof(u->origin), "https://%s%s%s:%u", lb,
		    u->host, rb, u->port);
	return 0;
}
