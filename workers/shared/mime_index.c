/* mime_index: indexed header fields, dates, base subject (mime_index.h). */
#include "mime_index.h"

#include <string.h>
#include <strings.h>

#include "charset.h"
#include "mime_addr.h"
#include "rfc2047.h"
#include "rfc822.h"

/* ---------------------------------------------------------------- dates */

static const char *const months[12] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec",
};

static const struct {
	const char *name;
	int minutes;
} zones[] = {
	{ "ut", 0 }, { "gmt", 0 }, { "utc", 0 }, { "z", 0 },
	{ "est", -300 }, { "edt", -240 }, { "cst", -360 }, { "cdt", -300 },
	{ "mst", -420 }, { "mdt", -360 }, { "pst", -480 }, { "pdt", -420 },
};

/* days since 1970-01-01 of a proleptic Gregorian date */
static int64_t
days_from_civil(int64_t y, unsigned mo, unsigned d)
{
	y -= mo <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool
read_num(struct rfc822_cur *c, unsigned maxdigits, unsigned *v,
    unsigned *ndigits)
{
	unsigned n = 0, x = 0;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && n < maxdigits) {
		x = x * 10 + (unsigned)(*c->p++ - '0');
		n++;
	}
	*v = x;
	if (ndigits != NULL)
		*ndigits = n;
	return n > 0;
}

static size_t
read_alpha(struct rfc822_cur *c, char *w, size_t wsz)
{
	size_t n = 0;
	while (c->p < c->end && ((*c->p | 0x20) >= 'a' && (*c->p | 0x20) <= 'z')) {
		if (n + 1 < wsz)
			w[n] = (char)(*c->p | 0x20);
		n++;
		c->p++;
	}
	w[n < wsz ? n : wsz - 1] = '\0';
	return n;
}

int
mime_date_parse(const uint8_t *s, size_t n, int64_t *t, int32_t *tz)
{
	struct rfc822_cur c;
	char w[16];
	unsigned day, mon = 0, year, yd, hh, mm, ss = 0;
	rfc822_init(&c, s, n);
	if (rfc822_skip_cfws(&c) <= 0)
		return -1;
	/* [day-of-week ","] */
	if ((*c.p | 0x20) >= 'a' && (*c.p | 0x20) <= 'z') {
		read_alpha(&c, w, sizeof(w));
		rfc822_skip_cfws(&c);
		if (c.p < c.end && *c.p == ',')
			c.p++;
		rfc822_skip_cfws(&c);
	}
	if (!read_num(&c, 2, &day, NULL) || day < 1 || day > 31)
		return -1;
	rfc822_skip_cfws(&c);
	if (c.p < c.end && *c.p == '-')   /* "1-Jan-2020" */
		c.p++;
	if (read_alpha(&c, w, sizeof(w)) < 3)
		return -1;
	w[3] = '\0';
	while (mon < 12 && strcmp(months[mon], w) != 0)
		mon++;
	if (mon == 12)
		return -1;
	rfc822_skip_cfws(&c);
	if (c.p < c.end && *c.p == '-')
		c.p++;
	if (!read_num(&c, 4, &year, &yd))
		return -1;
	if (yd == 2)
		year += year < 50 ? 2000 : 1900;
	else if (yd == 3)
		year += 1900;
	rfc822_skip_cfws(&c);
	if (!read_num(&c, 2, &hh, NULL) || c.p >= c.end || *c.p != ':')
		return -1;
	c.p++;
	if (!read_num(&c, 2, &mm, NULL))
		return -1;
	if (c.p < c.end && *c.p == ':') {
		c.p++;
		if (!read_num(&c, 2, &ss, NULL))
			return -1;
	}
	if (hh > 23 || mm > 59 || ss > 60)
		return -1;
	int zone = 0;
	rfc822_skip_cfws(&c);
	if (c.p < c.end && (*c.p == '+' || *c.p == '-')) {
		int sign = *c.p++ == '-' ? -1 : 1;
		unsigned z, zd;
		if (!read_num(&c, 4, &z, &zd) || zd != 4 || z % 100 > 59)
			return -1;
		zone = sign * (int)(z / 100 * 60 + z % 100);
	} else if (c.p < c.end) {
		read_alpha(&c, w, sizeof(w));
		for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
			if (strcmp(zones[i].name, w) == 0)
				zone = zones[i].minutes;
		/* military and unknown zones: -0000, "no information" */
	}
	int64_t days = days_from_civil(year, mon + 1, day);
	*t = days * 86400 + hh * 3600 + mm * 60 + ss - (int64_t)zone * 60;
	*tz = zone;
	return 0;
}

/* ---------------------------------------------------------------- base subject */

static bool
is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* "[" *BLOBCHAR "]" *WSP at s[i]; its length, or 0 */
static size_t
blob_len(const uint8_t *s, size_t n, size_t i)
{
	if (i >= n || s[i] != '[')
		return 0;
	size_t j = i + 1;
	while (j < n && s[j] != '[' && s[j] != ']')
		j++;
	if (j >= n || s[j] != ']')
		return 0;
	j++;
	while (j < n && is_ws(s[j]))
		j++;
	return j - i;
}

/* subj-refwd: ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" */
static size_t
refwd_len(const uint8_t *s, size_t n, size_t i)
{
	size_t j = i;
	if (n - i >= 2 && (s[i] | 0x20) == 'r' && (s[i + 1] | 0x20) == 'e')
		j = i + 2;
	else if (n - i >= 2 && (s[i] | 0x20) == 'f' && (s[i + 1] | 0x20) == 'w')
		j = i + ((n - i >= 3 && (s[i + 2] | 0x20) == 'd') ? 3 : 2);
	else
		return 0;
	while (j < n && is_ws(s[j]))
		j++;
	j += blob_len(s, n, j);
	if (j >= n || s[j] != ':')
		return 0;
	return j + 1 - i;
}

/* subj-leader: (*subj-blob subj-refwd) / WSP */
static size_t
leader_len(const uint8_t *s, size_t n, size_t i)
{
	if (i < n && is_ws(s[i]))
		return 1;
	size_t j = i, b;
	while ((b = blob_len(s, n, j)) > 0) {
		size_t r = refwd_len(s, n, j + b);
		if (r > 0)
			return j + b + r - i;
		j += b;
	}
	size_t r = refwd_len(s, n, j);
	return r > 0 ? j + r - i : 0;
}

int
mime_base_subject(struct buf *out, const uint8_t *in, size_t inlen)
{
	/* (1) whitespace runs to one space */
	struct buf t = BUF_INIT(inlen + 1);
	bool sp = false;
	for (size_t i = 0; i < inlen; i++) {
		uint8_t c = in[i];
		if (c == '\t' || c == '\r' || c == '\n')
			c = ' ';
		if (c == ' ' && sp)
			continue;
		sp = c == ' ';
		buf_append_byte(&t, c);
	}
	const uint8_t *s = t.data ? t.data : (const uint8_t *)"";
	size_t a = 0, e = t.len;
	for (;;) {
		/* (2) trailers: "(fwd)" and blanks */
		for (;;) {
			if (e > a && is_ws(s[e - 1])) {
				e--;
			} else if (e - a >= 5 &&
			    strncasecmp((const char *)s + e - 5, "(fwd)", 5) == 0) {
				e -= 5;
			} else {
				break;
			}
		}
		/* (3)-(5) leaders and blobs, until nothing changes */
		for (bool changed = true; changed;) {
			changed = false;
			size_t l;
			while (a < e && (l = leader_len(s, e, a)) > 0) {
				a += l;
				changed = true;
			}
			l = blob_len(s, e, a);
			if (l > 0 && a + l < e) {
				a += l;
				changed = true;
			}
		}
		/* (6) "[fwd:" ... "]" */
		if (e - a >= 6 && strncasecmp((const char *)s + a, "[fwd:", 5) == 0
		    && s[e - 1] == ']') {
			a += 5;
			e--;
			continue;
		}
		break;
	}
	while (a < e && is_ws(s[a]))
		a++;
	int r = buf_append(out, s + a, e - a);
	buf_free(&t);
	return r;
}

/* ---------------------------------------------------------------- fields */

/* Append a field's value, cut at max bytes on a character boundary. */
static void
put_field(struct mime_index *ix, enum mime_ifield f, const struct buf *v,
    size_t max)
{
	size_t n = v->len;
	if (n > max) {
		n = max;
		while (n > 0 && (v->data[n] & 0xc0) == 0x80)
			n--;
	}
	ix->f[f].off = (uint32_t)ix->strings.len;
	ix->f[f].len = (uint32_t)n;
	ix->f[f].present = true;
	buf_append(&ix->strings, v->data, n);
}

/* The sort (RFC 5256) and display (RFC 5957) keys come from the first
 * address of the parsed list, as in the ENVELOPE: a group's start counts,
 * its name being that address's mailbox (as Dovecot sorts); a broken
 * address does not, except that a bare word ("From: d"), a name alone,
 * is what DISPLAY shows when no real address follows. */
struct addrs_ctx {
	struct buf *sort;      /* NULL: not wanted */
	struct buf *display;
	bool got_first;
};

static int
addr_keys(void *vctx, const struct mime_addr *a)
{
	struct addrs_ctx *x = vctx;
	if (x->got_first || a->mailbox.p == NULL)
		return 0;   /* done, or a group's end */
	if (a->invalid && a->domain.p != NULL) {
		static const char fill[] = "MISSING_MAILBOX";
		if (x->display == NULL || x->display->len > 0)
			return 0;
		if (a->name.p != NULL && a->name.len > 0)
			rfc2047_decode(x->display, (const uint8_t *)a->name.p,
			    a->name.len);
		else if (a->mailbox.len != sizeof(fill) - 1 ||
		    memcmp(a->mailbox.p, fill, a->mailbox.len) != 0)
			charset_utf8_sanitize(x->display,
			    (const uint8_t *)a->mailbox.p, a->mailbox.len);
		return 0;
	}
	x->got_first = true;
	if (x->sort != NULL)
		charset_utf8_sanitize(x->sort, (const uint8_t *)a->mailbox.p,
		    a->mailbox.len);
	if (x->display == NULL)
		return 0;
	x->display->len = 0;
	if (a->domain.p == NULL) {   /* a group: its name */
		rfc2047_decode(x->display, (const uint8_t *)a->mailbox.p,
		    a->mailbox.len);
	} else if (a->name.p != NULL && a->name.len > 0) {
		rfc2047_decode(x->display, (const uint8_t *)a->name.p,
		    a->name.len);
	} else {
		charset_utf8_sanitize(x->display, (const uint8_t *)a->mailbox.p,
		    a->mailbox.len);
		buf_append_byte(x->display, '@');
		charset_utf8_sanitize(x->display, (const uint8_t *)a->domain.p,
		    a->domain.len);
	}
	return 0;
}

/* An address whose addr-spec the text as written does not hold (comments
 * inside it: "<a (c)@ (c) b>") gains ", mailbox@domain": SEARCH FROM
 * matches the envelope's address (RFC 3501 6.4.4), not only the bytes. */
static int
addr_spec_missing(void *vctx, const struct mime_addr *a)
{
	struct buf *text = vctx;
	if (a->mailbox.p == NULL || a->domain.p == NULL || a->invalid)
		return 0;
	struct buf spec = BUF_INIT(4 * (a->mailbox.len + a->domain.len) + 8);
	charset_utf8_sanitize(&spec, (const uint8_t *)a->mailbox.p,
	    a->mailbox.len);
	buf_append_byte(&spec, '@');
	charset_utf8_sanitize(&spec, (const uint8_t *)a->domain.p,
	    a->domain.len);
	if (!spec.failed && spec.len > 1 && (text->data == NULL ||
	    memmem(text->data, text->len, spec.data, spec.len) == NULL)) {
		if (text->len > 0)
			buf_append(text, ", ", 2);
		buf_append(text, spec.data, spec.len);
	}
	buf_free(&spec);
	return 0;
}

/* "<...>" msg-ids of a value (blanks inside dropped, as CFWS allows);
 * only the first when one is set */
static void
msgids(struct buf *o, const uint8_t *v, size_t n, bool one)
{
	size_t i = 0;
	bool any = false;
	while (i < n) {
		const uint8_t *lt = memchr(v + i, '<', n - i);
		if (lt == NULL)
			break;
		size_t s = (size_t)(lt - v), j = s + 1;
		while (j < n && v[j] != '>' && v[j] != '<')
			j++;
		if (j >= n || v[j] != '>') {
			i = j;
			continue;
		}
		size_t mark = o->len;
		if (any)
			buf_append_byte(o, ' ');
		buf_append_byte(o, '<');
		size_t inner = o->len;
		for (size_t k = s + 1; k < j; k++) {
			if (v[k] == ' ' || v[k] == '\t' || v[k] == '\r' ||
			    v[k] == '\n')
				continue;
			size_t l = charset_utf8_len(v + k, j - k);
			if (l == 0)
				l = 1;
			charset_utf8_sanitize(o, v + k, l);
			k += l - 1;
		}
		if (o->len == inner) {
			o->len = mark;   /* "<>" is no id */
		} else {
			buf_append_byte(o, '>');
			any = true;
			if (one)
				return;
		}
		i = j + 1;
	}
}

static const struct {
	const char *name;
	enum mime_ifield f;
} addr_fields[] = {
	{ "From", MIME_F_FROM }, { "To", MIME_F_TO }, { "Cc", MIME_F_CC },
	{ "Bcc", MIME_F_BCC },
};

/* Room for a decoded value: encoded words and Latin-1 grow at most 4x. */
static size_t
decoded_max(size_t n)
{
	return n * 4 + 64;
}

static void
build_addrs(struct mime_index *ix, const struct mime_msg *m, size_t max)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	static const enum mime_ifield sortf[3] = { MIME_F_SORT_FROM,
	    MIME_F_SORT_TO, MIME_F_SORT_CC };
	static const enum mime_ifield dispf[2] = { MIME_F_DISPLAY_FROM,
	    MIME_F_DISPLAY_TO };
	for (size_t k = 0; k < 4; k++) {
		/* all occurrences, in order, as one list */
		size_t total = 0;
		bool present = false;
		mime_hdr_init_part(&it, m, 0);
		while (mime_hdr_next(&it, &f))
			if (mime_field_is(&f, addr_fields[k].name)) {
				present = true;
				total += f.value_len;
			}
		if (!present)
			continue;
		/* twice: the addr-specs comments hid may be added */
		struct buf text = BUF_INIT(2 * decoded_max(total));
		struct buf sort = BUF_INIT(decoded_max(total));
		struct buf disp = BUF_INIT(decoded_max(total));
		struct addrs_ctx x = { k < 3 ? &sort : NULL,
		    k < 2 ? &disp : NULL, false };
		mime_hdr_init_part(&it, m, 0);
		while (mime_hdr_next(&it, &f)) {
			if (!mime_field_is(&f, addr_fields[k].name))
				continue;
			/* searched as written (decoded, unfolded): a broken
			 * list keeps every word, with no MISSING_* fill-ins */
			if (text.len > 0)
				buf_append(&text, ", ", 2);
			rfc2047_decode(&text, f.value, f.value_len);
			if (!x.got_first)
				(void)mime_addr_parse(f.value, f.value_len,
				    10000, addr_keys, &x);
		}
		mime_hdr_init_part(&it, m, 0);
		while (mime_hdr_next(&it, &f))
			if (mime_field_is(&f, addr_fields[k].name))
				(void)mime_addr_parse(f.value, f.value_len,
				    10000, addr_spec_missing, &text);
		put_field(ix, addr_fields[k].f, &text, max);
		if (k < 3)
			put_field(ix, sortf[k], &sort, max);
		if (k < 2)
			put_field(ix, dispf[k], &disp, max);
		buf_free(&text);
		buf_free(&sort);
		buf_free(&disp);
	}
}

int
mime_index_build(struct mime_index *ix, const struct mime_msg *m,
    size_t max_bytes)
{
	memset(ix, 0, sizeof(*ix));
	ix->date = MIME_DATE_NONE;
	if (m->nparts == 0)
		return 0;
	buf_init(&ix->strings, max_bytes * MIME_F_COUNT + 64);
	ix->hdr_len = m->parts[0].body;
	build_addrs(ix, m, max_bytes);

	/* the first Subject, Message-ID, In-Reply-To, Date count (SORT and
	 * THREAD read them so); every References header, in order */
	struct mime_hdr_iter it;
	struct mime_field f;
	bool seen_subj = false, seen_mid = false, seen_irt = false,
	    seen_date = false, seen_refs = false;
	struct buf refs = BUF_INIT(m->parts[0].body + 64);
	mime_hdr_init_part(&it, m, 0);
	while (mime_hdr_next(&it, &f)) {
		struct buf v = BUF_INIT(decoded_max(f.value_len));
		if (!seen_subj && mime_field_is(&f, "Subject")) {
			seen_subj = true;
			rfc2047_decode(&v, f.value, f.value_len);
			put_field(ix, MIME_F_SUBJECT, &v, max_bytes);
			struct buf b = BUF_INIT(v.len + 1);
			mime_base_subject(&b, v.data ? v.data :
			    (const uint8_t *)"", v.len);
			put_field(ix, MIME_F_BASE_SUBJECT, &b, max_bytes);
			buf_free(&b);
		} else if (!seen_mid && mime_field_is(&f, "Message-ID")) {
			seen_mid = true;
			msgids(&v, f.value, f.value_len, true);
			put_field(ix, MIME_F_MESSAGE_ID, &v, max_bytes);
		} else if (!seen_irt && mime_field_is(&f, "In-Reply-To")) {
			seen_irt = true;
			msgids(&v, f.value, f.value_len, true);
			put_field(ix, MIME_F_IN_REPLY_TO, &v, max_bytes);
		} else if (!seen_date && mime_field_is(&f, "Date")) {
			seen_date = true;
			(void)mime_date_parse(f.value, f.value_len, &ix->date,
			    &ix->date_tz);
		} else if (mime_field_is(&f, "References")) {
			if (seen_refs && refs.len > 0)
				buf_append_byte(&refs, ' ');
			seen_refs = true;
			size_t before = refs.len;
			msgids(&refs, f.value, f.value_len, false);
			if (refs.len == before && before > 0)
				refs.len--;   /* no ids: no separator */
		}
		buf_free(&v);
	}
	if (seen_refs)
		put_field(ix, MIME_F_REFERENCES, &refs, max_bytes);
	buf_free(&refs);
	if (ix->strings.failed) {
		mime_index_free(ix);
		return -1;
	}
	return 0;
}

void
mime_index_free(struct mime_index *ix)
{
	buf_free(&ix->strings);
	memset(ix->f, 0, sizeof(ix->f));
}

struct mime_str
mime_index_get(const struct mime_index *ix, enum mime_ifield f)
{
	struct mime_str s = { NULL, 0 };
	if ((unsigned)f >= MIME_F_COUNT || !ix->f[f].present)
		return s;
	s.p = ix->strings.data ? (const char *)ix->strings.data + ix->f[f].off :
	    "";
	s.len = ix->f[f].len;
	return s;
}
