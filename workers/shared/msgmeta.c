/* msgmeta: the store metadata of a message (see msgmeta.h). */
#include "msgmeta.h"

#include <string.h>
#include <strings.h>

#include "charset.h"
#include "mime_imap.h"
#include "rfc2047.h"

/* A NUL would end a C string early: the store gets a space instead. */
static void
no_nuls(struct buf *b, size_t from)
{
	for (size_t i = from; i < b->len; i++)
		if (b->data[i] == 0)
			b->data[i] = ' ';
}

int
msgmeta_header_lines(const struct mime_msg *m, uint32_t part,
    struct buf *out, size_t cap)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	size_t base = out->len;
	mime_hdr_init_part(&it, m, part);
	while (mime_hdr_next(&it, &f)) {
		if (f.name_len == 0)
			continue;
		size_t mark = out->len;
		for (size_t i = 0; i < f.name_len; i++) {
			uint8_t c = f.name[i];
			buf_append_byte(out, (uint8_t)(c >= 'A' && c <= 'Z' ?
			    c + 32 : c));
		}
		buf_append(out, ": ", 2);
		rfc2047_decode(out, f.value, f.value_len);
		buf_append_byte(out, '\n');
		if (out->failed || out->len - base > cap) {
			/* whole lines only: drop the one that did not fit */
			out->failed = false;
			out->len = mark;
			break;
		}
		no_nuls(out, mark);
	}
	return 0;
}

bool
msgmeta_has_attachment(const struct mime_msg *m)
{
	for (uint32_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = &m->parts[i];
		struct mime_field f;
		if (p->kind == MIME_MULTIPART || !(p->flags & MIME_P_IS_MIME))
			continue;
		if (mime_hdr_find(m, i, "Content-Disposition", &f)) {
			struct mime_ctype d;
			mime_disposition_parse(&d, f.value, f.value_len);
			bool att = d.type.len == 10 &&
			    strncasecmp(d.type.p, "attachment", 10) == 0;
			bool named = mime_param_get(&d, "filename") != NULL ||
			    mime_param_get(&d, "filename*") != NULL;
			mime_ctype_free(&d);
			if (att || (named && !(p->flags & MIME_P_TEXT)))
				return true;
		} else if (i > 0 && p->kind == MIME_LEAF &&
		    !(p->flags & MIME_P_TEXT) &&
		    mime_hdr_find(m, i, "Content-Type", &f)) {
			struct mime_ctype ct;
			mime_ctype_parse(&ct, f.value, f.value_len);
			bool named = mime_param_get(&ct, "name") != NULL ||
			    mime_param_get(&ct, "name*") != NULL;
			mime_ctype_free(&ct);
			if (named)
				return true;
		}
	}
	return false;
}

/* JMAP preview: the start of the text, blanks collapsed, at most
 * MSGMETA_PREVIEW_CHARS characters. */
static void
preview(struct buf *out, const uint8_t *s, size_t n)
{
	unsigned chars = 0;
	bool sp = true;   /* drops leading blanks */
	for (size_t i = 0; i < n && chars < MSGMETA_PREVIEW_CHARS; ) {
		uint8_t c = s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0) {
			if (!sp) {
				buf_append_byte(out, ' ');
				chars++;
			}
			sp = true;
			i++;
			continue;
		}
		size_t l = charset_utf8_len(s + i, n - i);
		if (l == 0)
			l = 1;   /* the text is valid UTF-8; be safe anyway */
		buf_append(out, s + i, l);
		chars++;
		sp = false;
		i += l;
	}
	while (out->len > 0 && out->data[out->len - 1] == ' ')
		out->len--;
}

static const enum mime_ifield string_fields[] = {
	MIME_F_FROM, MIME_F_TO, MIME_F_CC, MIME_F_BCC, MIME_F_SUBJECT,
	MIME_F_MESSAGE_ID, MIME_F_IN_REPLY_TO, MIME_F_REFERENCES,
	MIME_F_BASE_SUBJECT, MIME_F_SORT_FROM, MIME_F_SORT_TO, MIME_F_SORT_CC,
	MIME_F_DISPLAY_FROM, MIME_F_DISPLAY_TO,
};
#define NSTR (sizeof(string_fields) / sizeof(string_fields[0]))

int
msgmeta_build(struct msgmeta *mm, const struct mime_msg *m,
    const struct msgmeta_limits *lim)
{
	struct msgmeta_limits dl = { MSGMETA_DEFAULT_TEXT,
	    MSGMETA_DEFAULT_FIELD, MSGMETA_DEFAULT_HEADERS };
	if (lim == NULL)
		lim = &dl;
	memset(mm, 0, sizeof(*mm));
	/* IMAP strings grow with literals and escapes: room for the header
	 * four times over, bounded by the store's 1 MiB per string */
	size_t imax = 1u << 20;
	buf_init(&mm->envelope, imax);
	buf_init(&mm->bodystructure, imax);
	buf_init(&mm->body, imax);
	buf_init(&mm->strings, NSTR * (lim->field_max + 1) + 64);
	buf_init(&mm->headers, lim->headers_max + 1);
	buf_init(&mm->text, lim->text_max + 1);
	buf_init(&mm->preview, 4 * MSGMETA_PREVIEW_CHARS + 8);

	if (mime_imap_envelope(&mm->envelope, m, 0, 0) < 0 ||
	    mime_imap_bodystructure(&mm->bodystructure, m, 0, true, 0) < 0 ||
	    mime_imap_bodystructure(&mm->body, m, 0, false, 0) < 0 ||
	    mime_index_build(&mm->ix, m, lim->field_max) < 0 ||
	    msgmeta_header_lines(m, 0, &mm->headers, lim->headers_max) < 0 ||
	    mime_text_extract(m, &mm->text, lim->text_max) < 0)
		goto fail;
	no_nuls(&mm->text, 0);
	preview(&mm->preview, mm->text.data ? mm->text.data :
	    (const uint8_t *)"", mm->text.len);
	/* NUL-terminate everything handed out as a C string */
	size_t off[NSTR];
	bool has[NSTR];
	for (size_t i = 0; i < NSTR; i++) {
		struct mime_str s = mime_index_get(&mm->ix, string_fields[i]);
		has[i] = s.p != NULL;
		off[i] = mm->strings.len;
		if (has[i]) {
			buf_append(&mm->strings, s.p, s.len);
			no_nuls(&mm->strings, off[i]);
		}
		buf_append_byte(&mm->strings, 0);
	}
	if (buf_cstr(&mm->envelope) == NULL ||
	    buf_cstr(&mm->bodystructure) == NULL ||
	    buf_cstr(&mm->body) == NULL || buf_cstr(&mm->preview) == NULL ||
	    mm->strings.failed || mm->headers.failed || mm->text.failed)
		goto fail;

	struct store_msg_meta *md = &mm->meta;
	const char *base = (const char *)mm->strings.data;
	const char **dst[NSTR] = { &md->from, &md->to, &md->cc, &md->bcc,
	    &md->subject, &md->message_id, &md->in_reply_to, &md->references,
	    &md->sort_subject, &md->sort_from, &md->sort_to, &md->sort_cc,
	    &md->display_from, &md->display_to };
	for (size_t i = 0; i < NSTR; i++)
		*dst[i] = has[i] ? base + off[i] : NULL;
	md->envelope = (const char *)mm->envelope.data;
	md->bodystructure = (const char *)mm->bodystructure.data;
	md->body = (const char *)mm->body.data;
	md->preview = (const char *)mm->preview.data;
	md->sentdate = mm->ix.date > 0 ? (uint64_t)mm->ix.date : 0;
	md->info = msgmeta_has_attachment(m) ? STORE_INFO_HAS_ATTACHMENT : 0;
	md->headers = (const char *)mm->headers.data;
	md->headers_len = mm->headers.len;
	md->text = (const char *)mm->text.data;
	md->text_len = mm->text.len;
	return 0;
fail:
	msgmeta_free(mm);
	return -1;
}

void
msgmeta_free(struct msgmeta *mm)
{
	buf_free(&mm->envelope);
	buf_free(&mm->bodystructure);
	buf_free(&mm->body);
	buf_free(&mm->strings);
	buf_free(&mm->headers);
	buf_free(&mm->text);
	buf_free(&mm->preview);
	mime_index_free(&mm->ix);
	memset(&mm->meta, 0, sizeof(mm->meta));
}
