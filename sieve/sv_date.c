/* sv_date: RFC 5322 dates and RFC 5260's date parts (sv_date.h). */
#include "sv_date.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	"Fri", "Sat" };

int
sv_zone_minutes(const char *z)
{
	int m = ((z[1] - '0') * 10 + (z[2] - '0')) * 60 +
	    (z[3] - '0') * 10 + (z[4] - '0');
	return z[0] == '-' ? -m : m;
}

/* The next token (letters, digits, or one other byte) after spaces,
 * commas and comments are skipped. */
static size_t
token(const char *s, size_t n, size_t *pos, const char **tok)
{
	while (*pos < n && (isspace((unsigned char)s[*pos]) ||
	    s[*pos] == ',' || s[*pos] == '('))
		if (s[(*pos)++] == '(')
			while (*pos < n && s[(*pos)++] != ')')
				;
	size_t start = *pos;
	while (*pos < n && (isalnum((unsigned char)s[*pos]) ||
	    ((s[*pos] == '+' || s[*pos] == '-') && *pos == start)))
		(*pos)++;
	if (*pos == start && *pos < n)
		(*pos)++;
	*tok = s + start;
	return *pos - start;
}

static bool
number(const char *t, size_t n, int min, int max, int *out)
{
	if (n == 0 || n > 4)
		return false;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)t[i]))
			return false;
		v = v * 10 + (t[i] - '0');
	}
	*out = v;
	return v >= min && v <= max;
}

static bool
zone_of(const char *t, size_t n, int *zone)
{
	static const struct { const char *name; int min; } named[] = {
		{ "UT", 0 }, { "GMT", 0 }, { "Z", 0 }, { "EST", -300 },
		{ "EDT", -240 }, { "CST", -360 }, { "CDT", -300 },
		{ "MST", -420 }, { "MDT", -360 }, { "PST", -480 },
		{ "PDT", -420 } };
	if (n == 5 && (t[0] == '+' || t[0] == '-')) {
		int hh, mm;
		if (!number(t + 1, 2, 0, 99, &hh) ||
		    !number(t + 3, 2, 0, 59, &mm))
			return false;
		*zone = (t[0] == '-' ? -1 : 1) * (hh * 60 + mm);
		return true;
	}
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strlen(named[i].name) == n &&
		    strncasecmp(named[i].name, t, n) == 0) {
			*zone = named[i].min;
			return true;
		}
	*zone = 0;  /* RFC 5322 section 4.3: an unknown zone is -0000 */
	return n > 0;
}

bool
sv_date_parse(const char *s, size_t n, struct sv_date *d)
{
	const char *semi = memrchr(s, ';', n);
	if (semi != NULL) {
		n -= (size_t)(semi + 1 - s);
		s = semi + 1;
	}
	size_t pos = 0, len;
	const char *t;
	struct tm tm = { 0 };
	int mon = -1, zone;
	len = token(s, n, &pos, &t);
	if (len && isalpha((unsigned char)t[0]))
		len = token(s, n, &pos, &t);  /* the day of the week */
	if (!number(t, len, 1, 31, &tm.tm_mday))
		return false;
	len = token(s, n, &pos, &t);
	for (int i = 0; i < 12 && len == 3; i++)
		if (strncasecmp(t, months[i], 3) == 0)
			mon = i;
	len = mon >= 0 ? token(s, n, &pos, &t) : 0;
	if (!number(t, len, 0, 9999, &tm.tm_year))
		return false;
	tm.tm_year += len == 2 ? (tm.tm_year < 50 ? 2000 : 1900) : 0;
	tm.tm_year -= 1900;
	tm.tm_mon = mon;
	len = token(s, n, &pos, &t);
	if (!number(t, len, 0, 23, &tm.tm_hour))
		return false;
	len = token(s, n, &pos, &t);
	if (len != 1 || *t != ':')
		return false;
	len = token(s, n, &pos, &t);
	if (!number(t, len, 0, 59, &tm.tm_min))
		return false;
	size_t before = pos;
	len = token(s, n, &pos, &t);
	if (len == 1 && *t == ':') {  /* seconds are optional */
		len = token(s, n, &pos, &t);
		if (!number(t, len, 0, 60, &tm.tm_sec))
			return false;
	} else {
		pos = before;
	}
	len = token(s, n, &pos, &t);
	if (!zone_of(t, len, &zone))
		return false;
	d->t = (int64_t)timegm(&tm) - (int64_t)zone * 60;
	d->zone = zone;
	return true;
}

size_t
sv_date_part_text(const struct sv_date *d, int part, char *out, size_t n)
{
	int64_t shown = d->t + (int64_t)d->zone * 60;
	time_t tt = (time_t)shown;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL)
		return 0;
	int y = tm.tm_year + 1900, az = d->zone < 0 ? -d->zone : d->zone;
	char sign = d->zone < 0 ? '-' : '+';
	int r;
	switch (part) {
	case 0: r = snprintf(out, n, "%04d", y); break;
	case 1: r = snprintf(out, n, "%02d", tm.tm_mon + 1); break;
	case 2: r = snprintf(out, n, "%02d", tm.tm_mday); break;
	case 3: r = snprintf(out, n, "%04d-%02d-%02d", y, tm.tm_mon + 1,
		tm.tm_mday); break;
	case 4: /* the Modified Julian Day */
		r = snprintf(out, n, "%lld", (long long)((shown -
		    (shown < 0 ? 86399 : 0)) / 86400 + 40587)); break;
	case 5: r = snprintf(out, n, "%02d", tm.tm_hour); break;
	case 6: r = snprintf(out, n, "%02d", tm.tm_min); break;
	case 7: r = snprintf(out, n, "%02d", tm.tm_sec); break;
	case 8: r = snprintf(out, n, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min,
		tm.tm_sec); break;
	case 9: r = snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
		y, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		tm.tm_sec, sign, az / 60, az % 60); break;
	case 10: r = snprintf(out, n, "%s, %d %s %04d %02d:%02d:%02d %c%02d%02d",
		wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], y, tm.tm_hour,
		tm.tm_min, tm.tm_sec, sign, az / 60, az % 60); break;
	case 11: r = snprintf(out, n, "%c%02d%02d", sign, az / 60, az % 60);
		break;
	default: r = snprintf(out, n, "%d", tm.tm_wday); break;
	}
	return r > 0 && (size_t)r < n ? (size_t)r : 0;
}
