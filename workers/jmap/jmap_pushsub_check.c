/* jmap_pushsub_check: the checks of what a client gives in a
 * PushSubscription (see jmap_pushsub.h). The URL is where cloister-pushd
 * will connect: refusing addresses inside the host's networks here (and
 * again in pushd after it resolves the name; both by push_addr.h) keeps a
 * subscription from aiming the server at its own neighbours. */
#include "jmap_pushsub.h"
#include "push_addr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static bool allow_loopback;

void
jmap_pushsub_allow_loopback(bool allow)
{
	allow_loopback = allow;
}

/* The host of an authority (no userinfo): a name, or an IP literal that
 * is not internal. */
static bool
host_ok(const char *h, size_t n)
{
	char lit[254];
	unsigned char a[16];
	if (n == 0 || n >= sizeof(lit))
		return false;
	if (h[0] == '[') {
		if (h[n - 1] != ']' || n < 3)
			return false;
		memcpy(lit, h + 1, n - 2);
		lit[n - 2] = '\0';
		return inet_pton(AF_INET6, lit, a) == 1 &&
		    push_addr_v6_public(a, allow_loopback);
	}
	memcpy(lit, h, n);
	lit[n] = '\0';
	if (strspn(lit, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-") != n)
		return false;
	if (strcasecmp(lit, "localhost") == 0 || (n > 10 &&
	    strcasecmp(lit + n - 10, ".localhost") == 0))
		return allow_loopback;
	if (inet_pton(AF_INET, lit, a) == 1)
		return push_addr_v4_public(a, allow_loopback);
	/* all digits and dots but not a dotted quad: 0x7f.1, 2130706433 */
	return strspn(lit, "0123456789.") != n;
}

bool
jmap_pushsub_url_ok(const char *url)
{
	size_t len = url ? strlen(url) : 0;
	if (len == 0 || len > JMAP_PUSHSUB_URL_MAX ||
	    strncasecmp(url, "https://", 8) != 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] >= 0x7f)
			return false;
	const char *auth = url + 8;
	size_t an = strcspn(auth, "/?#");
	if (memchr(auth, '@', an) != NULL)
		return false;
	size_t hn = an;
	const char *colon = auth[0] == '[' ? NULL : memchr(auth, ':', an);
	if (auth[0] == '[') {
		const char *close = memchr(auth, ']', an);
		if (close == NULL)
			return false;
		hn = (size_t)(close - auth) + 1;
		colon = hn < an ? auth + hn : NULL;
		if (colon != NULL && *colon != ':')
			return false;
	} else if (colon != NULL) {
		hn = (size_t)(colon - auth);
	}
	if (colon != NULL) {
		size_t pn = an - (size_t)(colon + 1 - auth);
		if (pn == 0 || pn > 5 || strspn(colon + 1, "0123456789") < pn ||
		    strtoul(colon + 1, NULL, 10) > 65535 ||
		    strtoul(colon + 1, NULL, 10) == 0)
			return false;
	}
	return host_ok(auth, hn);
}

/* The decoded length of unpadded base64url s, or -1 if it is not that. */
static long
b64url_len(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n == 0 || n % 4 == 1 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") != n)
		return -1;
	return (long)(n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0));
}

bool
jmap_pushsub_keys_ok(json_t *keys)
{
	if (json_is_null(keys))
		return true;
	const char *p = json_string_value(json_object_get(keys, "p256dh"));
	const char *a = json_string_value(json_object_get(keys, "auth"));
	/* 65 bytes: the first character of 0x04 is 'B' */
	return json_is_object(keys) && json_object_size(keys) == 2 &&
	    b64url_len(p) == 65 && p[0] == 'B' && b64url_len(a) == 16;
}

bool
jmap_pushsub_types_ok(json_t *types)
{
	size_t i, j;
	json_t *v, *w;
	if (json_is_null(types))
		return true;
	if (!json_is_array(types) || json_array_size(types) > 64)
		return false;
	json_array_foreach(types, i, v) {
		const char *s = json_string_value(v);
		if (s == NULL || s[0] == '\0' || strlen(s) > 64)
			return false;
		for (j = 0; j < i && (w = json_array_get(types, j)); j++)
			if (strcmp(json_string_value(w), s) == 0)
				return false;
	}
	return true;
}

bool
jmap_pushsub_expires(json_t *v, uint64_t now, uint64_t *out)
{
	struct tm tm = { 0 };
	uint64_t max = now + JMAP_PUSHSUB_LIFETIME;
	if (v == NULL || json_is_null(v)) {
		*out = max;
		return true;
	}
	const char *s = json_string_value(v);
	const char *e = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (e != NULL && *e == '.')
		e += 1 + strspn(e + 1, "0123456789");
	if (e == NULL || strcmp(e, "Z") != 0)
		return false;
	time_t t = timegm(&tm);
	if (t == (time_t)-1 || (uint64_t)t <= now)
		return false;
	*out = (uint64_t)t < max ? (uint64_t)t : max;
	return true;
}
