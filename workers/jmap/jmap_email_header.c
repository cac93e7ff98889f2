/* jmap_email_header: "headers" and "header:..." properties. */
#include "jmap_email_header.h"
#include "jmap_email_addr.h"

#include "mime_index.h"
#include "rfc2047.h"

#include <stdio.h>
#include <time.h>
#include <string.h>
#include <strings.h>

#define FIELD_MAX (256u * 1024)   /* bytes of one decoded value */
#define NAME_MAX_LEN 128

enum form { F_RAW, F_TEXT, F_ADDR, F_GROUPED, F_MSGID, F_DATE, F_URLS };

static const char *const forms[] = {
	[F_RAW] = "asRaw", [F_TEXT] = "asText", [F_ADDR] = "asAddresses",
	[F_GROUPED] = "asGroupedAddresses", [F_MSGID] = "asMessageIds",
	[F_DATE] = "asDate", [F_URLS] = "asURLs",
};

struct hprop {
	char name[NAME_MAX_LEN + 1];
	enum form form;
	bool all;
};

#define B(f) (1u << (f))
/* RFC 8621 4.1.2: the fields RFC 5322 and RFC 2369 define may be parsed
 * only in the forms listed for them (asRaw always); any other field in
 * every form. Asking for another form is invalidArguments (4.1.3). */
static const struct {
	const char *name;
	unsigned forms;
} known_fields[] = {
	{ "Subject", B(F_TEXT) }, { "Comments", B(F_TEXT) },
	{ "Keywords", B(F_TEXT) },
	{ "From", B(F_ADDR) | B(F_GROUPED) }, { "Sender", B(F_ADDR) | B(F_GROUPED) },
	{ "Reply-To", B(F_ADDR) | B(F_GROUPED) }, { "To", B(F_ADDR) | B(F_GROUPED) },
	{ "Cc", B(F_ADDR) | B(F_GROUPED) }, { "Bcc", B(F_ADDR) | B(F_GROUPED) },
	{ "Resent-From", B(F_ADDR) | B(F_GROUPED) },
	{ "Resent-Sender", B(F_ADDR) | B(F_GROUPED) },
	{ "Resent-Reply-To", B(F_ADDR) | B(F_GROUPED) },
	{ "Resent-To", B(F_ADDR) | B(F_GROUPED) },
	{ "Resent-Cc", B(F_ADDR) | B(F_GROUPED) },
	{ "Resent-Bcc", B(F_ADDR) | B(F_GROUPED) },
	{ "Message-ID", B(F_MSGID) }, { "In-Reply-To", B(F_MSGID) },
	{ "References", B(F_MSGID) }, { "Resent-Message-ID", B(F_MSGID) },
	{ "Date", B(F_DATE) }, { "Resent-Date", B(F_DATE) },
	{ "List-Help", B(F_URLS) }, { "List-Unsubscribe", B(F_URLS) },
	{ "List-Subscribe", B(F_URLS) }, { "List-Post", B(F_URLS) },
	{ "List-Owner", B(F_URLS) }, { "List-Archive", B(F_URLS) },
	{ "Return-Path", 0 }, { "Received", 0 },
};

static bool
form_allowed(const char *name, enum form form)
{
	if (form == F_RAW)
		return true;
	for (size_t i = 0; i < sizeof(known_fields) / sizeof(known_fields[0]);
	    i++)
		if (strcasecmp(known_fields[i].name, name) == 0)
			return (known_fields[i].forms & B(form)) != 0;
	return true;
}

/* "header:Name[:asForm][:all]" into h; false if it is not one. */
static bool
parse_prop(const char *p, struct hprop *h)
{
	if (strncmp(p, "header:", 7) != 0)
		return false;
	p += 7;
	size_t n = strcspn(p, ":");
	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 127)
			return false;
	memcpy(h->name, p, n);
	h->name[n] = '\0';
	h->form = F_RAW;
	h->all = false;
	p += n;
	if (strncmp(p, ":as", 3) == 0) {
		size_t k = strcspn(p + 1, ":");
		bool found = false;
		for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++)
			if (strlen(forms[f]) == k && !strncmp(p + 1, forms[f], k)) {
				h->form = (enum form)f;
				found = true;
			}
		if (!found)
			return false;
		p += 1 + k;
	}
	if (strcmp(p, ":all") == 0)
		h->all = true;
	else if (*p != '\0')
		return false;
	return form_allowed(h->name, h->form);
}

bool
jmap_header_prop_ok(const char *prop)
{
	struct hprop h;
	return strcmp(prop, "headers") == 0 || parse_prop(prop, &h);
}

/* The raw value: after the ':' up to the final line end. */
static json_t *
raw_value(const struct mime_field *f)
{
	const uint8_t *colon = memchr(f->raw, ':', f->raw_len);
	if (colon == NULL)
		return json_string("");
	size_t n = f->raw_len - (size_t)(colon + 1 - f->raw);
	const uint8_t *v = colon + 1;
	while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == '\r'))
		n--;
	json_t *s = json_stringn((const char *)v, n);
	return s ? s : json_string("");
}

static json_t *
text_value(const struct mime_field *f, size_t *len, struct buf *b)
{
	buf_reset(b);
	if (rfc2047_decode(b, f->value, f->value_len) < 0 || b->failed)
		return json_null();
	size_t s = 0, n = b->len;
	while (s < n && (b->data[s] == ' ' || b->data[s] == '\t'))
		s++;
	while (n > s && (b->data[n - 1] == ' ' || b->data[n - 1] == '\t'))
		n--;
	*len = n - s;
	json_t *j = json_stringn((const char *)b->data + s, n - s);
	return j ? j : json_null();
}

static json_t *
date_value(const struct mime_field *f)
{
	int64_t t;
	int32_t tz;
	char buf[40];
	if (mime_date_parse(f->value, f->value_len, &t, &tz) < 0)
		return json_null();
	time_t local = (time_t)(t + (int64_t)tz * 60);
	struct tm tm;
	if (gmtime_r(&local, &tm) == NULL)
		return json_null();
	int az = tz < 0 ? -tz : tz;
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, "%c%02d:%02d", tz < 0 ? '-' : '+',
	    az / 60, az % 60);
	return json_string(buf);
}

static json_t *
form_value(const struct mime_field *f, enum form form, struct buf *b)
{
	size_t n = 0;
	json_t *v;
	switch (form) {
	case F_RAW:
		return raw_value(f);
	case F_TEXT:
		return text_value(f, &n, b);
	case F_ADDR:
	case F_GROUPED:
		v = text_value(f, &n, b);
		json_decref(v);
		v = b->data != NULL ? jmap_addr_list((const char *)b->data,
		    b->len) : NULL;
		if (v == NULL)
			v = json_array();
		return form == F_ADDR ? v : json_pack("[{snso}]", "name",
		    "addresses", v);
	case F_MSGID:
	case F_URLS:
		v = jmap_msgid_list((const char *)f->value, f->value_len);
		return v ? v : json_null();
	case F_DATE:
		return date_value(f);
	}
	return json_null();
}

static json_t *
header_prop(const struct mime_msg *m, uint32_t part, const struct hprop *h,
    struct buf *b)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	json_t *all = json_array(), *last = NULL;
	mime_hdr_init_part(&it, m, part);
	while (mime_hdr_next(&it, &f)) {
		if (f.name_len != strlen(h->name) ||
		    strncasecmp((const char *)f.name, h->name, f.name_len) != 0)
			continue;
		json_decref(last);
		last = form_value(&f, h->form, b);
		if (h->all)
			json_array_append(all, last);
	}
	if (h->all) {
		json_decref(last);
		return all;
	}
	json_decref(all);
	return last ? last : json_null();
}

static json_t *
all_headers(const struct mime_msg *m, uint32_t part)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	json_t *list = json_array();
	mime_hdr_init_part(&it, m, part);
	while (mime_hdr_next(&it, &f)) {
		if (f.name_len == 0)
			continue;
		json_t *name = json_stringn((const char *)f.name, f.name_len);
		json_array_append_new(list, json_pack("{soso}", "name",
		    name ? name : json_string(""), "value", raw_value(&f)));
	}
	return list;
}

void
jmap_headers_add(json_t *obj, const struct mime_msg *m, uint32_t part,
    json_t *props)
{
	const char *k;
	json_t *v;
	struct hprop h;
	struct buf b = BUF_INIT(FIELD_MAX);
	json_object_foreach(props, k, v) {
		if (strcmp(k, "headers") == 0)
			json_object_set_new(obj, k, all_headers(m, part));
		else if (parse_prop(k, &h))
			json_object_set_new(obj, k, header_prop(m, part, &h, &b));
	}
	buf_free(&b);
}
