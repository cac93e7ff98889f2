/* jmap_submission_msg: the sent bytes, envelope addresses and times of an
 * EmailSubmission (see jmap_submission_msg.h). */
#include "jmap_submission_msg.h"

#include <string.h>
#include <strings.h>
#include <time.h>

/* The end of the line starting at i (past its LF, or n). */
static size_t
line_end(const char *p, size_t n, size_t i)
{
	const char *lf = memchr(p + i, '\n', n - i);
	return lf != NULL ? (size_t)(lf - p) + 1 : n;
}

static bool
is_bcc(const char *p, size_t len)
{
	return len > 4 && strncasecmp(p, "bcc", 3) == 0 &&
	    (p[3] == ':' || p[3] == ' ' || p[3] == '\t');
}

int
jmap_strip_bcc(const char *p, size_t n, struct buf *out)
{
	size_t i = 0;
	bool skipping = false;
	while (i < n) {
		size_t e = line_end(p, n, i);
		size_t len = e - i;
		/* the empty line: the body follows as it is */
		if (p[i] == '\n' || (len >= 2 && p[i] == '\r' && p[i + 1] == '\n'))
			break;
		bool cont = p[i] == ' ' || p[i] == '\t';
		if (!cont)
			skipping = is_bcc(p + i, len);
		if (!skipping && buf_append(out, p + i, len) < 0)
			return -1;
		i = e;
	}
	return buf_append(out, p + i, n - i);
}

bool
jmap_envelope_addr_ok(const char *a)
{
	size_t n = a != NULL ? strlen(a) : 0;
	const char *at = n > 0 ? strrchr(a, '@') : NULL;
	if (n == 0 || n > 320 || at == NULL || at == a || at[1] == '\0')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>')
			return false;
	}
	return true;
}

bool
jmap_identity_allows(const char *ident, const char *addr)
{
	if (ident == NULL || addr == NULL)
		return false;
	if (ident[0] == '*' && ident[1] == '@') {
		const char *at = strrchr(addr, '@');
		return at != NULL && at != addr && strcasecmp(at, ident + 1) == 0;
	}
	return strcasecmp(ident, addr) == 0;
}

/* digits of s, exactly n, as a number; NULL if they are not there */
static const char *
num(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, s++) {
		if (*s < '0' || *s > '9')
			return NULL;
		*v = *v * 10 + (*s - '0');
	}
	return s;
}

bool
jmap_rfc3339(const char *s, uint64_t *t)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, se, oh = 0, om = 0;
	if (s == NULL || (s = num(s, 4, &y)) == NULL || *s++ != '-' ||
	    (s = num(s, 2, &mo)) == NULL || *s++ != '-' ||
	    (s = num(s, 2, &d)) == NULL || (*s != 'T' && *s != 't') ||
	    (s = num(s + 1, 2, &h)) == NULL || *s++ != ':' ||
	    (s = num(s, 2, &mi)) == NULL || *s++ != ':' ||
	    (s = num(s, 2, &se)) == NULL)
		return false;
	bool frac = false;
	if (*s == '.') {
		if (s[1] < '0' || s[1] > '9')
			return false;
		for (s++; *s >= '0' && *s <= '9'; s++)
			frac |= *s != '0';
	}
	int sign = 0;
	if ((*s == 'Z' || *s == 'z') && s[1] == '\0')
		sign = 0;
	else if ((*s == '+' || *s == '-') && (num(s + 1, 2, &oh)) != NULL &&
	    s[3] == ':' && num(s + 4, 2, &om) != NULL && s[6] == '\0')
		sign = *s == '+' ? 1 : -1;
	else
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60 || oh > 23 || om > 59 || y < 1970)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	time_t x = timegm(&tm);
	x -= sign * (oh * 3600 + om * 60);
	if (x < 0)
		return false;
	*t = (uint64_t)x + (frac ? 1 : 0);
	return true;
}
