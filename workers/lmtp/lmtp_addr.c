/* lmtp_addr: RFC 5321 paths, recipient -> store user, trace headers. */
#include "lmtp.h"

#include <stdio.h>
#include <string.h>

void
lmtp_opts_default(struct lmtp_opts *o)
{
	memset(o, 0, sizeof(*o));
	memcpy(o->hostname, "localhost", 10);
	o->max_size = 50u << 20;
	o->max_rcpts = 1000;
	o->max_cmd_line = 4096;
	o->max_data_line = 65536;
	o->quota_temp = false;   /* 552 5.2.2, as Dovecot by default */
	o->delimiter = '+';
	o->timeout_ms = 300 * 1000;
	o->received = true;
}

/* a byte allowed in an unquoted address: printable ASCII, no blanks and
 * none of the specials that end or nest a path */
static bool
path_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != '"' &&
	    c != '\\' && c != '(' && c != ')' && c != ',' && c != ';' &&
	    c != '[' && c != ']';
}

int
lmtp_parse_path(const char *s, size_t n, char *addr, size_t addrsz,
    const char **rest, bool allow_null)
{
	size_t i = 0, o = 0;
	while (i < n && s[i] == ' ')
		i++;
	if (i >= n || s[i] != '<')
		return -1;
	i++;
	/* a source route "@a,@b:" is ignored (RFC 5321 4.1.2) */
	if (i < n && s[i] == '@') {
		const char *colon = memchr(s + i, ':', n - i);
		const char *gt = memchr(s + i, '>', n - i);
		if (colon == NULL || (gt != NULL && gt < colon))
			return -1;
		i = (size_t)(colon - s) + 1;
	}
	if (i < n && s[i] == '"') {
		/* quoted local part: kept with its quotes */
		addr[o++] = '"';
		for (i++; i < n && s[i] != '"'; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c == '\\' && i + 1 < n)
				c = (unsigned char)s[++i];
			if (c < 0x20 || c >= 0x7f || o + 2 >= addrsz)
				return -1;
			if (c == '"' || c == '\\')
				addr[o++] = '\\';
			addr[o++] = (char)c;
		}
		if (i >= n || o + 1 >= addrsz)
			return -1;
		addr[o++] = '"';
		i++;
	}
	for (; i < n && s[i] != '>'; i++) {
		if (!path_char((unsigned char)s[i]) || o + 1 >= addrsz)
			return -1;
		addr[o++] = s[i];
	}
	if (i >= n || s[i] != '>')
		return -1;
	addr[o] = '\0';
	if (o == 0 && !allow_null)
		return -1;
	if (o > 0 && (addr[0] == '@' || addr[o - 1] == '@' ||
	    addr[o - 1] == '.'))
		return -1;
	i++;
	if (i < n && s[i] != ' ')
		return -1;   /* "<a>b" */
	*rest = s + i;
	return 0;
}

int
lmtp_map_rcpt(const struct lmtp_opts *o, const char *addr,
    struct lmtp_rcpt *r)
{
	size_t n = strlen(addr);
	if (n > LMTP_PATH_MAX)
		return -1;
	memcpy(r->addr, addr, n + 1);
	const char *at = strrchr(addr, '@');
	size_t local = at != NULL ? (size_t)(at - addr) : n;
	if (local == 0)
		return -1;
	/* user+detail: the detail names a mailbox, the user the account */
	size_t ulen = local;
	const char *det = NULL;
	if (o->delimiter != 0 && addr[0] != '"') {
		const char *d = memchr(addr, o->delimiter, local);
		if (d != NULL && d > addr) {
			ulen = (size_t)(d - addr);
			det = d + 1;
		}
	}
	size_t dlen = det != NULL ? local - (size_t)(det - addr) : 0;
	size_t dom = o->full_address && at != NULL ? n - local : 0;
	if (ulen + dom > LMTP_USER_MAX || dlen > LMTP_DETAIL_MAX)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < ulen; i++)
		r->user[k++] = (char)(addr[i] >= 'A' && addr[i] <= 'Z' ?
		    addr[i] + 32 : addr[i]);
	for (size_t i = 0; i < dom; i++) {
		char c = at[i];
		r->user[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	r->user[k] = '\0';
	if (det != NULL)
		memcpy(r->detail, det, dlen);
	r->detail[dlen] = '\0';
	return 0;
}

static const char *const wday[7] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	"Fri", "Sat" };
static const char *const mon[12] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* UTC calendar fields of a unix time, computed here: glibc's gmtime_r
 * reads /etc/localtime on its first call, which the sandbox forbids. */
struct ymd {
	int year, mon, mday, wday, hour, min, sec;
};

static void
utc_fields(int64_t t, struct ymd *d)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400;
	d->hour = (int)(secs / 3600);
	d->min = (int)(secs / 60 % 60);
	d->sec = (int)(secs % 60);
	d->wday = (int)((days % 7 + 11) % 7);   /* 1970-01-01 was a Thursday */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	d->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	d->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	d->year = (int)(yoe + era * 400 + (d->mon <= 2));
}

int
lmtp_trace_headers(struct buf *out, const struct lmtp_opts *o,
    const struct lmtp_txn *t, size_t i, int64_t now)
{
	const struct lmtp_rcpt *r = &t->rcpts[i];
	if (buf_printf(out, "Return-Path: <%s>\r\nDelivered-To: %s\r\n",
	    t->sender, r->addr) < 0)
		return -1;
	if (!o->received)
		return 0;
	struct ymd d;
	utc_fields(now, &d);
	return buf_printf(out, "Received: from %s%s%s%s\r\n"
	    "\tby %s (Cloister) with LMTP id %016llx\r\n"
	    "\tfor <%s>; %s, %d %s %d %02d:%02d:%02d +0000\r\n",
	    t->lhlo, t->client[0] ? " ([" : "", t->client,
	    t->client[0] ? "])" : "", o->hostname,
	    (unsigned long long)t->id, r->addr, wday[d.wday], d.mday,
	    mon[d.mon - 1], d.year, d.hour, d.min, d.sec);
}
