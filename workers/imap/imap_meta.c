/* imap_meta: the store's metadata of a message (see imap_meta.h). */
#include "imap_meta.h"
#include "charset.h"
#include "mime.h"
#include "mime_imap.h"
#include "mime_index.h"
#include "rfc2047.h"

#include <ctype.h>
#include <string.h>

/* Offsets into im->strings until it stops growing, then pointers. */
struct slot {
	const char **dst;
	size_t off;
};

static int
put(struct imap_meta *im, struct slot *sl, size_t *n, const char **dst,
    const void *p, size_t len)
{
	sl[*n].dst = dst;
	sl[*n].off = im->strings.len;
	(*n)++;
	if (len > 0 && buf_append(&im->strings, p, len) < 0)
		return -1;
	return buf_append_byte(&im->strings, 0);
}

/* "lower-case-name: value\n" per field, unfolded and decoded. */
static int
headers(struct imap_meta *im, const struct mime_msg *msg)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	mime_hdr_init_part(&it, msg, 0);
	struct buf *o = &im->headers;
	while (mime_hdr_next(&it, &f)) {
		if (f.name_len == 0)
			continue;
		size_t start = o->len;
		for (size_t i = 0; i < f.name_len; i++)
			buf_append_byte(o, (uint8_t)tolower(f.name[i]));
		buf_append(o, ": ", 2);
		size_t v = o->len;
		rfc2047_decode(o, f.value, f.value_len);
		/* unfold: no line end may remain inside a value */
		for (size_t i = v; i < o->len; i++)
			if (o->data[i] == '\r' || o->data[i] == '\n' ||
			    o->data[i] == 0)
				o->data[i] = ' ';
		if (buf_append_byte(o, '\n') < 0) {
			/* full: keep whole lines only */
			o->failed = false;
			o->len = start;
			break;
		}
	}
	return 0;
}

/* The first 256 characters of the text, whitespace collapsed. */
static int
preview(struct imap_meta *im, struct slot *sl, size_t *n)
{
	char pv[1024];
	size_t k = 0, chars = 0;
	bool space = true;
	const uint8_t *t = im->text.data;
	for (size_t i = 0; t != NULL && i < im->text.len && chars < 256;) {
		if (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n') {
			if (!space && k < sizeof(pv) - 1) {
				pv[k++] = ' ';
				chars++;
			}
			space = true;
			i++;
			continue;
		}
		size_t l = charset_utf8_len(t + i, im->text.len - i);
		if (l == 0)
			l = 1;
		if (k + l >= sizeof(pv))
			break;
		if (!(l == 1 && t[i] < 0x20)) {
			memcpy(pv + k, t + i, l);
			k += l;
			chars++;
		}
		space = false;
		i += l;
	}
	while (k > 0 && pv[k - 1] == ' ')
		k--;
	return put(im, sl, n, &im->m.preview, pv, k);
}

static bool
has_attachment(const struct mime_msg *msg)
{
	for (uint32_t i = 1; i < msg->nparts; i++) {
		const struct mime_part *p = &msg->parts[i];
		if (p->kind != MIME_LEAF)
			continue;
		struct mime_field f;
		if (mime_hdr_find(msg, i, "Content-Disposition", &f) &&
		    f.value_len >= 10 &&
		    strncasecmp((const char *)f.value, "attachment", 10) == 0)
			return true;
		if (!(p->flags & MIME_P_TEXT))
			return true;
	}
	return false;
}

int
imap_meta_build(struct imap_meta *im, const uint8_t *data, size_t len)
{
	memset(im, 0, sizeof(*im));
	buf_init(&im->strings, 16 * 1024 * 1024);
	buf_init(&im->headers, IMAP_META_HEADERS_MAX);
	buf_init(&im->text, IMAP_META_TEXT_MAX + 16);
	struct mime_msg msg;
	if (mime_parse(&msg, data, len, NULL) < 0)
		return -1;
	struct slot sl[32];
	size_t n = 0;
	struct buf t = BUF_INIT(8 * 1024 * 1024);
	int rc = 0;
	/* the three IMAP strings, exactly as FETCH will send them */
	const char **dst[3] = { &im->m.envelope, &im->m.bodystructure,
		&im->m.body };
	for (int i = 0; i < 3 && rc == 0; i++) {
		buf_reset(&t);
		int r = i == 0 ? mime_imap_envelope(&t, &msg, 0, 0) :
		    mime_imap_bodystructure(&t, &msg, 0, i == 1, 0);
		rc = r < 0 ? -1 : put(im, sl, &n, dst[i], t.data, t.len);
	}
	buf_free(&t);
	struct mime_index ix;
	if (rc == 0 && mime_index_build(&ix, &msg, 1024 * 1024) == 0) {
		static const struct {
			enum mime_ifield f;
			size_t off;
		} map[] = {
			{ MIME_F_FROM, offsetof(struct store_msg_meta, from) },
			{ MIME_F_TO, offsetof(struct store_msg_meta, to) },
			{ MIME_F_CC, offsetof(struct store_msg_meta, cc) },
			{ MIME_F_BCC, offsetof(struct store_msg_meta, bcc) },
			{ MIME_F_SUBJECT, offsetof(struct store_msg_meta, subject) },
			{ MIME_F_MESSAGE_ID, offsetof(struct store_msg_meta, message_id) },
			{ MIME_F_IN_REPLY_TO, offsetof(struct store_msg_meta, in_reply_to) },
			{ MIME_F_REFERENCES, offsetof(struct store_msg_meta, references) },
			{ MIME_F_BASE_SUBJECT, offsetof(struct store_msg_meta, sort_subject) },
			{ MIME_F_SORT_FROM, offsetof(struct store_msg_meta, sort_from) },
			{ MIME_F_SORT_TO, offsetof(struct store_msg_meta, sort_to) },
			{ MIME_F_SORT_CC, offsetof(struct store_msg_meta, sort_cc) },
			{ MIME_F_DISPLAY_FROM, offsetof(struct store_msg_meta, display_from) },
			{ MIME_F_DISPLAY_TO, offsetof(struct store_msg_meta, display_to) },
		};
		for (size_t i = 0; rc == 0 && i < sizeof(map) / sizeof(map[0]); i++) {
			struct mime_str v = mime_index_get(&ix, map[i].f);
			if (v.p == NULL)
				continue;
			const char **d = (const char **)((char *)&im->m + map[i].off);
			/* NULs would cut the C string: make them spaces */
			rc = put(im, sl, &n, d, v.p, v.len);
			char *s = (char *)im->strings.data + sl[n - 1].off;
			for (size_t k = 0; rc == 0 && k < v.len; k++)
				if (s[k] == 0)
					s[k] = ' ';
		}
		if (ix.date != MIME_DATE_NONE && ix.date > 0)
			im->m.sentdate = (uint64_t)ix.date;
		mime_index_free(&ix);
	} else if (rc == 0) {
		rc = -1;
	}
	if (rc == 0)
		rc = headers(im, &msg);
	if (rc == 0 && mime_text_extract(&msg, &im->text, IMAP_META_TEXT_MAX) < 0)
		rc = -1;
	if (rc == 0)
		rc = preview(im, sl, &n);
	if (rc == 0 && has_attachment(&msg))
		im->m.info |= STORE_INFO_HAS_ATTACHMENT;
	mime_free(&msg);
	if (rc < 0 || im->strings.failed)
		return -1;
	for (size_t i = 0; i < n; i++)
		*sl[i].dst = (const char *)im->strings.data + sl[i].off;
	im->m.headers = (const char *)im->headers.data;
	im->m.headers_len = im->headers.len;
	im->m.text = (const char *)im->text.data;
	im->m.text_len = im->text.len;
	return 0;
}

void
imap_meta_free(struct imap_meta *im)
{
	buf_free(&im->strings);
	buf_free(&im->headers);
	buf_free(&im->text);
}
