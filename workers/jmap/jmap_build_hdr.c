/* jmap_build_hdr: header fields of a built message, folded at 78
 * columns: unstructured text (RFC 2047 encoded-words when not plain
 * ASCII), address lists with display names quoted or encoded, message
 * ids, dates, URLs and raw values (RFC 8621 section 4.1.2's forms). */
#include "jmap_build_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FOLD_AT 78
/* Bytes of UTF-8 per encoded-word: 45 -> 60 base64 + 12 = 72 columns. */
#define EW_CHUNK 45
/* A quoted display name and its <addr-spec> stay within 998 bytes. */
#define NAME_QUOTED_MAX 700
/* A longer display name is refused: readers (Email/get's among them)
 * keep names of up to 1 KiB. */
#define NAME_MAX_BYTES 1000

/* A field being written: the column, to fold before a word that would
 * pass FOLD_AT. */
struct hw {
	struct buf *b;
	size_t col;
	bool first;                    /* no word yet: never fold here */
};

static void
hw_start(struct hw *w, struct buf *b, const char *name)
{
	w->b = b;
	buf_append_str(b, name);
	buf_append_byte(b, ':');
	w->col = strlen(name) + 1;
	w->first = true;
}

/* A word preceded by one space (folded there if the line is full). */
static void
hw_word(struct hw *w, const char *p, size_t n)
{
	if (w->col + 1 + n > FOLD_AT && !w->first) {
		buf_append(w->b, "\r\n", 2);
		w->col = 0;
	}
	w->first = false;
	buf_append_byte(w->b, ' ');
	buf_append(w->b, p, n);
	w->col += 1 + n;
}

static int
hw_end(struct bx *x, struct hw *w)
{
	buf_append(w->b, "\r\n", 2);
	return w->b->failed ? bx_fail(x, "tooLarge", NULL) : 0;
}

/* Text as encoded-words, each whole UTF-8 characters, sized to what is
 * left of the line (the first one shares it with the field name). */
static void
hw_encoded(struct hw *w, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; ) {
		size_t room = w->col + 13 + 16 < FOLD_AT ?
		    (FOLD_AT - w->col - 13) / 4 * 3 : EW_CHUNK;
		if (room > EW_CHUNK)
			room = EW_CHUNK;
		size_t k = n - i < room ? n - i : room;
		while (i + k < n && ((uint8_t)s[i + k] & 0xc0) == 0x80)
			k--;
		struct buf ew = BUF_INIT(128);
		buf_append_str(&ew, "=?UTF-8?B?");
		enc_base64(&ew, (const uint8_t *)s + i, k, false);
		buf_append_str(&ew, "?=");
		hw_word(w, (const char *)ew.data, ew.len);
		buf_free(&ew);
		i += k;
	}
}

/* Printable ASCII (and tab) without "=?" and without a word too long
 * to fold: written as it is. */
static bool
plain_text(const char *s)
{
	size_t word = 0;
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p >= 127 || ((unsigned char)*p < 32 &&
		    *p != '\t'))
			return false;
		if (p[0] == '=' && p[1] == '?')
			return false;
		word = *p == ' ' ? 0 : word + 1;
		if (word > FOLD_AT - 2)
			return false;
	}
	return true;
}

static bool
has_ctl(const char *s)
{
	for (const char *p = s; *p; p++)
		if (((unsigned char)*p < 32 && *p != '\t') || *p == 127)
			return true;
	return false;
}

/* Unstructured text, folded at its own spaces. */
static void
hw_text(struct hw *w, const char *s)
{
	if (!plain_text(s)) {
		hw_encoded(w, s);
		return;
	}
	for (const char *p = s; ; ) {
		const char *sp = strchr(p, ' ');
		size_t n = sp ? (size_t)(sp - p) : strlen(p);
		hw_word(w, p, n);
		if (sp == NULL)
			break;
		p = sp + 1;
	}
}

int
hdr_text(struct bx *x, const char *name, const char *s)
{
	struct hw w;
	if (has_ctl(s))
		return -1;
	hw_start(&w, x->out, name);
	hw_text(&w, s);
	return hw_end(x, &w);
}

/* ---- addresses ---------------------------------------------------------- */

static bool
atext_phrase(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != ' ' &&
		    strchr("!#$%&'*+-/=?^_`{|}~", *p) == NULL)
			return false;
	size_t n = strlen(s);
	return n > 0 && s[0] != ' ' && s[n - 1] != ' ' &&
	    strstr(s, "  ") == NULL;
}

static bool
ascii_printable(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p >= 127)
			return false;
	return true;
}

/* addr-spec as RFC 8621 gives it: printable ASCII or UTF-8 (RFC 6532),
 * no whitespace, no specials that would end the angle-addr, one "@". */
static bool
email_ok(const char *s)
{
	const char *at = strrchr(s, '@');
	size_t n = strlen(s);
	if (at == NULL || at == s || at[1] == '\0' || n > 254)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 32 || *p == 127 ||
		    strchr("<>()[],;:\\\"", *p) != NULL)
			return false;
	return true;
}

/* Any byte past ASCII? (Control characters are refused before.) */
static bool
has_8bit(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p >= 128)
			return true;
	return false;
}

static void
hw_name(struct hw *w, const char *name)
{
	if (atext_phrase(name) && strlen(name) < FOLD_AT - 10) {
		hw_text(w, name);
	} else if (!has_8bit(name) && strlen(name) <= NAME_QUOTED_MAX) {
		/* quoted even when long: encoded, its specials would read as
		 * syntax to a reader that decodes before it parses */
		struct buf q = BUF_INIT(2 * NAME_QUOTED_MAX + 3);
		buf_append_byte(&q, '"');
		for (const char *p = name; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_append_byte(&q, '\\');
			buf_append_byte(&q, (uint8_t)*p);
		}
		buf_append_byte(&q, '"');
		hw_word(w, (const char *)q.data, q.len);
		buf_free(&q);
	} else {
		hw_encoded(w, name);
	}
}

int
hdr_addresses(struct bx *x, const char *name, json_t *list)
{
	size_t i;
	json_t *a;
	struct hw w;
	if (!json_is_array(list) || json_array_size(list) == 0)
		return -1;
	json_array_foreach(list, i, a) {
		json_t *nm = json_object_get(a, "name");
		const char *e = json_string_value(json_object_get(a, "email"));
		if (!json_is_object(a) || e == NULL || !email_ok(e) ||
		    (nm != NULL && !json_is_null(nm) && !json_is_string(nm)) ||
		    (json_is_string(nm) && (has_ctl(json_string_value(nm)) ||
		    strlen(json_string_value(nm)) > NAME_MAX_BYTES)) ||
		    json_object_size(a) > (size_t)(1 + (nm != NULL)))
			return -1;
	}
	hw_start(&w, x->out, name);
	json_array_foreach(list, i, a) {
		const char *nm = json_string_value(json_object_get(a, "name"));
		const char *e = json_string_value(json_object_get(a, "email"));
		bool last = i + 1 == json_array_size(list);
		char spec[264];
		if (nm != NULL && *nm != '\0') {
			hw_name(&w, nm);
			snprintf(spec, sizeof(spec), "<%s>%s", e, last ? "" : ",");
		} else {
			snprintf(spec, sizeof(spec), "%s%s", e, last ? "" : ",");
		}
		hw_word(&w, spec, strlen(spec));
	}
	return hw_end(x, &w);
}

/* ---- message ids, URLs, dates, raw ---------------------------------------- */

bool
hdr_msgid_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 250 || strchr(s, '@') == NULL)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 32 || (unsigned char)*p >= 127 ||
		    strchr("<>()[],;:\\\"", *p) != NULL)
			return false;
	return true;
}

/* Each string of list as "<s>", comma-separated if comma. */
static int
hw_angle_list(struct bx *x, const char *name, json_t *list, bool comma,
    bool (*ok)(const char *))
{
	size_t i;
	json_t *v;
	struct hw w;
	if (!json_is_array(list) || json_array_size(list) == 0)
		return -1;
	json_array_foreach(list, i, v)
		if (!json_is_string(v) || !ok(json_string_value(v)))
			return -1;
	hw_start(&w, x->out, name);
	json_array_foreach(list, i, v) {
		struct buf t = BUF_INIT(1024);
		bool last = i + 1 == json_array_size(list);
		buf_printf(&t, "<%s>%s", json_string_value(v),
		    comma && !last ? "," : "");
		hw_word(&w, (const char *)t.data, t.len);
		buf_free(&t);
	}
	return hw_end(x, &w);
}

int
hdr_msgids(struct bx *x, const char *name, json_t *list)
{
	return hw_angle_list(x, name, list, false, hdr_msgid_ok);
}

static bool
url_ok(const char *s)
{
	return *s != '\0' && strlen(s) < 900 && ascii_printable(s) &&
	    strpbrk(s, " <>") == NULL;
}

/* RFC 3339 date-time with its offset -> RFC 5322 date. */
int
hdr_date(struct bx *x, const char *name, const char *s)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	int off = 0, oh, om;
	if (p == NULL || tm.tm_year < 0 || tm.tm_year > 8000)
		return -1;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == 'Z' && p[1] == '\0')
		off = 0;
	else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
	    sscanf(p + 1, "%2d:%2d", &oh, &om) == 2 && oh < 24 && om < 60)
		off = (*p == '-' ? -1 : 1) * (oh * 60 + om);
	else
		return -1;
	time_t t = timegm(&tm);        /* normalizes and gives the weekday */
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	int ao = off < 0 ? -off : off;
	return buf_printf(x->out, "%s: %s, %02d %s %04d %02d:%02d:%02d %c%02d%02d"
	    "\r\n", name, wd[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', ao / 60, ao % 60) < 0 ?
	    bx_fail(x, "tooLarge", NULL) : 0;
}

/* A raw value: kept byte for byte; line breaks only as folds, lines of
 * at most 998 bytes. */
static int
hdr_raw(struct bx *x, const char *name, const char *s)
{
	size_t col = strlen(name) + 1;
	for (const char *p = s; *p; p++) {
		if (*p == '\r') {
			if (p[1] != '\n' || (p[2] != ' ' && p[2] != '\t'))
				return -1;
			col = 0;
			p++;
			continue;
		}
		if (*p == '\n' || ++col > BUILD_LINE_MAX)
			return -1;
	}
	buf_printf(x->out, "%s:%s\r\n", name, s);
	return x->out->failed ? bx_fail(x, "tooLarge", NULL) : 0;
}

/* ---- header:Name:asForm:all ----------------------------------------------- */

enum form { F_RAW, F_TEXT, F_ADDR, F_IDS, F_DATE, F_URLS };

/* Split "header:Name[:asForm][:all]"; false if it is not well formed. */
static bool
parse_prop(const char *prop, char *name, size_t n, enum form *form,
    bool *all)
{
	static const char *const forms[] = { "asRaw", "asText",
	    "asAddresses", "asMessageIds", "asDate", "asURLs" };
	if (strncmp(prop, "header:", 7) != 0)
		return false;
	const char *p = prop + 7, *c = strchr(p, ':');
	size_t len = c ? (size_t)(c - p) : strlen(p);
	if (len == 0 || len >= n)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] <= 32 || (unsigned char)p[i] >= 127)
			return false;
	memcpy(name, p, len);
	name[len] = '\0';
	*form = F_RAW;
	*all = false;
	if (c != NULL && strcmp(c, ":all") == 0) {
		*all = true;
		return true;
	}
	for (size_t f = 0; c != NULL && f < sizeof(forms) / sizeof(*forms);
	    f++) {
		size_t fl = strlen(forms[f]);
		if (strncmp(c + 1, forms[f], fl) == 0 && (c[1 + fl] == '\0' ||
		    strcmp(c + 1 + fl, ":all") == 0)) {
			*form = (enum form)f;
			*all = c[1 + fl] != '\0';
			return true;
		}
	}
	return c == NULL;
}

bool
hdr_property_name(const char *prop, char *lname, size_t n)
{
	enum form f;
	bool all;
	if (!parse_prop(prop, lname, n, &f, &all))
		return false;
	for (char *p = lname; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return true;
}

static int
one_field(struct bx *x, const char *name, enum form form, json_t *v)
{
	const char *s = json_string_value(v);
	switch (form) {
	case F_RAW:
		return s ? hdr_raw(x, name, s) : -1;
	case F_TEXT:
		return s ? hdr_text(x, name, s) : -1;
	case F_ADDR:
		return hdr_addresses(x, name, v);
	case F_IDS:
		return hdr_msgids(x, name, v);
	case F_DATE:
		return s ? hdr_date(x, name, s) : -1;
	case F_URLS:
		return hw_angle_list(x, name, v, true, url_ok);
	}
	return -1;
}

int
hdr_property(struct bx *x, const char *prop, json_t *v)
{
	char name[100];
	enum form form;
	bool all;
	size_t i;
	json_t *e;
	if (!parse_prop(prop, name, sizeof(name), &form, &all) ||
	    strncasecmp(name, "content-", 8) == 0 ||
	    strcasecmp(name, "mime-version") == 0)
		return bx_fail(x, "invalidProperties", prop);
	if (json_is_null(v))
		return 0;
	if (!all)
		return one_field(x, name, form, v) < 0 ?
		    bx_fail(x, "invalidProperties", prop) : 0;
	if (!json_is_array(v))
		return bx_fail(x, "invalidProperties", prop);
	json_array_foreach(v, i, e)
		if (one_field(x, name, form, e) < 0)
			return bx_fail(x, "invalidProperties", prop);
	return 0;
}

/* ---- MIME parameters -------------------------------------------------------- */

int
hdr_param(struct bx *x, const char *param, const char *value)
{
	struct buf *b = x->out;
	if (has_ctl(value) || strlen(value) > 300)
		return -1;
	if (ascii_printable(value)) {
		buf_printf(b, ";\r\n %s=\"", param);
		for (const char *p = value; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_append_byte(b, '\\');
			buf_append_byte(b, (uint8_t)*p);
		}
		buf_append_byte(b, '"');
		return 0;
	}
	/* RFC 2231: param*=utf-8''percent-encoded */
	buf_printf(b, ";\r\n %s*=utf-8''", param);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (isalnum(*p) || strchr("!#$&+-.^_`|~", *p) != NULL)
			buf_append_byte(b, *p);
		else
			buf_printf(b, "%%%02X", *p);
	}
	return 0;
}
