/* jmap_build_roundtrip: what must hold of every message jmap_build makes,
 * read back with workers/shared MIME and Email/get's own parsers: CRLF
 * lines of at most 998 bytes without NUL; a MIME tree whose leaves all
 * decode; the Subject, From and the single text body as they were set.
 * Shared by tests/unit/test_jmap_build.c and tests/fuzz/fuzz_jmap_build.c. */
#ifndef CLOISTER_JMAP_BUILD_ROUNDTRIP_H
#define CLOISTER_JMAP_BUILD_ROUNDTRIP_H

#include <string.h>

#include "jmap_build.h"
#include "jmap_email_addr.h"
#include "mime.h"
#include "rfc2047.h"

static bool
rt_lines_ok(const struct buf *m)
{
	size_t col = 0;
	for (size_t i = 0; i < m->len; i++) {
		uint8_t c = m->data[i];
		if (c == 0 || c == '\n')
			return false;
		if (c == '\r') {
			if (i + 1 >= m->len || m->data[i + 1] != '\n')
				return false;
			i++;
			col = 0;
		} else if (++col > 998) {
			return false;
		}
	}
	return true;
}

/* s without leading and trailing blanks, as n bytes from *p. */
static void
rt_trim(const char **p, size_t *n)
{
	while (*n > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
		(*n)--;
}

static bool
rt_subject_ok(const struct mime_msg *mm, json_t *email)
{
	const char *want = json_string_value(json_object_get(email, "subject"));
	struct mime_field f;
	if (want == NULL)
		return true;
	struct buf d = BUF_INIT(1u << 20);
	bool ok = mime_hdr_find(mm, 0, "Subject", &f) &&
	    rfc2047_decode(&d, f.value, f.value_len) == 0;
	const char *g = d.data ? (const char *)d.data : "";
	size_t gn = d.len, wn = strlen(want);
	rt_trim(&g, &gn);
	rt_trim(&want, &wn);
	ok = ok && gn == wn && memcmp(g, want, wn) == 0;
	buf_free(&d);
	return ok;
}

/* Would the name, once its encoded-words are decoded, read as more than
 * a phrase? (The store keeps address fields decoded, so such a name is
 * the reader's to misread, whatever the writer does.) */
static bool
rt_name_ambiguous(const char *n)
{
	bool ascii = true;
	for (const char *p = n; p && *p; p++)
		ascii &= (unsigned char)*p < 128;
	return n != NULL && (!ascii || strlen(n) > 700) &&
	    strpbrk(n, ",;<>\"()@:\\[]") != NULL;
}

/* From as Email/get reads it: the same emails, names (null for none). */
static bool
rt_from_ok(const struct mime_msg *mm, json_t *email)
{
	json_t *want = json_object_get(email, "from"), *a;
	struct mime_field f;
	size_t i;
	if (!json_is_array(want))
		return true;
	json_array_foreach(want, i, a)
		if (rt_name_ambiguous(json_string_value(json_object_get(a,
		    "name"))))
			return true;
	struct buf d = BUF_INIT(1u << 20);
	if (!mime_hdr_find(mm, 0, "From", &f) ||
	    rfc2047_decode(&d, f.value, f.value_len) < 0) {
		buf_free(&d);
		return false;
	}
	json_t *got = jmap_addr_list(d.data ? (const char *)d.data : "", d.len);
	buf_free(&d);
	bool ok = json_array_size(got) == json_array_size(want);
	json_array_foreach(want, i, a) {
		json_t *g = json_array_get(got, i);
		const char *wn = json_string_value(json_object_get(a, "name"));
		const char *gn = json_string_value(json_object_get(g, "name"));
		size_t wl = wn ? strlen(wn) : 0, gl = gn ? strlen(gn) : 0;
		rt_trim(&wn, &wl);     /* blanks around a name may go */
		rt_trim(&gn, &gl);
		ok = ok && json_equal(json_object_get(a, "email"),
		    json_object_get(g, "email")) && wl == gl &&
		    (wl == 0 || memcmp(wn, gn, wl) == 0);
	}
	json_decref(got);
	return ok;
}

/* Every leaf decodes; with a lone textBody by partId, the first leaf is
 * its value with CRLF line ends. */
static bool
rt_body_ok(const struct mime_msg *mm, json_t *email)
{
	json_t *tb = json_object_get(email, "textBody");
	const char *pid = json_string_value(json_object_get(
	    json_array_get(tb, 0), "partId"));
	const char *want = pid == NULL ? NULL : json_string_value(
	    json_object_get(json_object_get(json_object_get(email,
	    "bodyValues"), pid), "value"));
	bool first = true, ok = true;
	for (uint32_t i = 0; ok && i < mm->nparts; i++) {
		const struct mime_part *p = mime_part(mm, i);
		if (p->kind != MIME_LEAF || (p->parent != MIME_NONE &&
		    mime_part(mm, p->parent)->kind == MIME_MESSAGE))
			continue;
		bool unknown = false;
		struct buf d = BUF_INIT(1u << 24);
		ok = mime_part_decode(mm, i, &d, &unknown) == 0 && !unknown;
		if (ok && first && want != NULL && json_array_size(tb) == 1 &&
		    !json_object_get(email, "htmlBody")) {
			struct buf w = BUF_INIT(1u << 24);
			for (const char *c = want; *c; c++) {
				if (*c == '\r' && c[1] == '\n')
					c++;
				if (*c == '\r' || *c == '\n')
					buf_append(&w, "\r\n", 2);
				else
					buf_append_byte(&w, (uint8_t)*c);
			}
			ok = w.len == d.len && (w.len == 0 ||
			    memcmp(w.data, d.data, w.len) == 0);
			buf_free(&w);
		}
		first = false;
		buf_free(&d);
	}
	return ok;
}

/* NULL if the message m built from email holds up, else what does not. */
static const char *
jmap_build_roundtrip(json_t *email, const struct buf *m)
{
	struct mime_msg mm;
	const char *why = NULL;
	if (!rt_lines_ok(m))
		return "a line that is not CRLF, too long, or a NUL";
	if (mime_parse(&mm, m->data, m->len, NULL) < 0)
		return "mime_parse failed";
	if (mm.flags & MIME_M_LIMIT)
		why = "part limit";
	else if (!rt_subject_ok(&mm, email))
		why = "Subject differs";
	else if (!rt_from_ok(&mm, email))
		why = "From differs";
	else if (!rt_body_ok(&mm, email))
		why = "body differs";
	mime_free(&mm);
	return why;
}

#endif
