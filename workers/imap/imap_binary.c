/* imap_binary: NUL-bearing parts of an APPEND to base64 (imap_binary.h). */
#include "imap_binary.h"
#include "base64.h"

#include <string.h>

static bool
leaf_has_nul(const struct mime_msg *m, const struct mime_part *p)
{
	return p->kind == MIME_LEAF && p->end > p->body &&
	    memchr(m->data + p->body, 0, p->end - p->body) != NULL;
}

/* The part's header with its Content-Transfer-Encoding field(s) replaced
 * by "base64"; a header that did not make the part MIME (a message's own,
 * without MIME-Version or Content-Type) gains MIME-Version so that the
 * field applies. */
static void
header(struct buf *o, const struct mime_msg *m, uint32_t i)
{
	const struct mime_part *p = &m->parts[i];
	struct mime_hdr_iter it;
	struct mime_field f;
	size_t at = p->hdr;
	mime_hdr_init(&it, m->data + p->hdr, p->body - p->hdr);
	while (mime_hdr_next(&it, &f)) {
		if (!mime_field_is(&f, "Content-Transfer-Encoding"))
			buf_append(o, f.raw, f.raw_len);
		at = (size_t)(f.raw + f.raw_len - m->data);
	}
	if (!(p->flags & MIME_P_IS_MIME))
		buf_append_str(o, "MIME-Version: 1.0\r\n");
	buf_append_str(o, "Content-Transfer-Encoding: base64\r\n");
	buf_append(o, m->data + at, p->body - at);   /* the empty line */
}

/* The part's content (transfer encoding undone where it is known) as
 * base64 lines of 76 characters; the line end before a boundary is not
 * the body's, so none follows the last line. */
static void
body(struct buf *o, const struct mime_msg *m, uint32_t i)
{
	const struct mime_part *p = &m->parts[i];
	struct buf dec = BUF_INIT(o->max);
	const uint8_t *s = m->data + p->body;
	size_t n = p->end - p->body;
	bool unknown = false;
	enum mime_cte cte = mime_part_cte(m, i);
	if ((cte == MIME_CTE_QP || cte == MIME_CTE_BASE64) &&
	    mime_part_decode(m, i, &dec, &unknown) == 0 && !dec.failed) {
		s = dec.data ? dec.data : (const uint8_t *)"";
		n = dec.len;
	}
	for (size_t k = 0; k < n; k += 57) {
		size_t l = n - k < 57 ? n - k : 57;
		if (k > 0)
			buf_append_str(o, "\r\n");
		if (base64_encode(s + k, l, o) < 0)
			break;
	}
	buf_free(&dec);
}

int
imap_binary_to_base64(const struct mime_msg *m, struct buf *out)
{
	if (m->len == 0 || memchr(m->data, 0, m->len) == NULL)
		return 0;
	/* leaves come in preorder, so their ranges rise and never overlap */
	size_t at = 0;
	for (uint32_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = &m->parts[i];
		if (!leaf_has_nul(m, p) || p->hdr < at)
			continue;
		buf_append(out, m->data + at, p->hdr - at);
		header(out, m, i);
		body(out, m, i);
		at = p->end;
	}
	buf_append(out, m->data + at, m->len - at);
	if (out->failed)
		return -1;
	/* what is left is in headers, preambles or containers' bodies, which
	 * base64 cannot carry: NUL becomes 0x80, as Dovecot shows it */
	for (uint8_t *p = out->data; (p = memchr(p, 0,
	    out->len - (size_t)(p - out->data))) != NULL; p++)
		*p = 0x80;
	return 1;
}
