/* imap_fetch_body: body items of FETCH from a store fd (see
 * imap_fetch_body.h). */
#include "imap_fetch_body.h"
#include "imap_out.h"
#include "log.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void
imap_body_init(struct imap_body *b, int fd, uint64_t size)
{
	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->size = size;
}

void
imap_body_close(struct imap_body *b)
{
	if (b->parsed)
		mime_free(&b->mime);
	if (b->map != NULL)
		munmap((void *)b->map, (size_t)b->size);
	if (b->fd >= 0)
		close(b->fd);
	memset(b, 0, sizeof(*b));
	b->fd = -1;
}

static int
parsed(struct imap_body *b)
{
	if (b->parsed)
		return 0;
	if (b->size > 0 && b->map == NULL) {
		void *m = mmap(NULL, (size_t)b->size, PROT_READ, MAP_PRIVATE,
		    b->fd, 0);
		if (m == MAP_FAILED) {
			log_warn("cannot map a message: %m");
			return -1;
		}
		b->map = m;
	}
	if (mime_parse(&b->mime, b->map != NULL ? b->map : (const uint8_t *)"",
	    (size_t)b->size, NULL) < 0)
		return -1;
	b->parsed = true;
	return 0;
}

bool
imap_fatt_needs_body(const struct imap_fatt *a)
{
	switch (a->type) {
	case FA_SECTION: case FA_BINARY: case FA_BINARY_SIZE: case FA_RFC822:
	case FA_RFC822_HEADER: case FA_RFC822_TEXT:
		return true;
	default:
		return false;
	}
}

bool
imap_fatt_sets_seen(const struct imap_fatt *a)
{
	return ((a->type == FA_SECTION || a->type == FA_BINARY) && !a->peek) ||
	    a->type == FA_RFC822 || a->type == FA_RFC822_TEXT;
}

/* "BODY[1.2.HEADER.FIELDS (A B)]" / "BINARY[1]" / "RFC822.TEXT" etc. */
static void
item_name(struct buf *o, const struct imap_fatt *a, bool utf8)
{
	static const char *const spec[] = { [SEC_ALL] = "",
		[SEC_HEADER] = "HEADER", [SEC_HEADER_FIELDS] = "HEADER.FIELDS",
		[SEC_HEADER_FIELDS_NOT] = "HEADER.FIELDS.NOT",
		[SEC_TEXT] = "TEXT", [SEC_MIME] = "MIME" };
	switch (a->type) {
	case FA_RFC822:
		buf_append_str(o, "RFC822");
		return;
	case FA_RFC822_HEADER:
		buf_append_str(o, "RFC822.HEADER");
		return;
	case FA_RFC822_TEXT:
		buf_append_str(o, "RFC822.TEXT");
		return;
	case FA_BINARY:
		buf_append_str(o, "BINARY[");
		break;
	case FA_BINARY_SIZE:
		buf_append_str(o, "BINARY.SIZE[");
		break;
	default:
		buf_append_str(o, "BODY[");
		break;
	}
	for (unsigned i = 0; i < a->sec.nparts; i++)
		buf_printf(o, "%s%u", i ? "." : "", a->sec.part[i]);
	if (a->sec.spec != SEC_ALL)
		buf_printf(o, "%s%s", a->sec.nparts ? "." : "", spec[a->sec.spec]);
	if (a->sec.spec == SEC_HEADER_FIELDS ||
	    a->sec.spec == SEC_HEADER_FIELDS_NOT) {
		buf_append_str(o, " (");
		for (size_t i = 0; i < a->sec.nfields; i++) {
			if (i)
				buf_append_byte(o, ' ');
			imap_out_astring(o, a->sec.fields[i],
			    strlen(a->sec.fields[i]), utf8);
		}
		buf_append_byte(o, ')');
	}
	buf_append_byte(o, ']');
	if (a->partial)
		buf_printf(o, "<%llu>", (unsigned long long)a->p_off);
}

/* Apply <off.len> to [start, end). */
static void
clip(const struct imap_fatt *a, uint64_t *start, uint64_t *end)
{
	if (!a->partial)
		return;
	uint64_t n = *end - *start;
	uint64_t off = a->p_off < n ? a->p_off : n;
	uint64_t len = a->p_len < n - off ? a->p_len : n - off;
	*start += off;
	*end = *start + len;
}

#define FILE_INLINE_MAX (256 * 1024)

/* A range of the message file as a literal. */
static int
file_literal(struct imap_session *s, struct imap_body *b, uint64_t start,
    uint64_t end)
{
	struct buf *o = imap_out_buf(s);
	buf_printf(o, "{%llu}\r\n", (unsigned long long)(end - start));
	if (end == start)
		return FETCH_OK;
	/* Ranges up to FILE_INLINE_MAX ride in the output buffer: read
	 * straight into it (one copy, batched with the rest of the response;
	 * no mapping, whose unmapping costs a TLB shootdown per message).
	 * Larger ones stream from the file. */
	if (end - start <= FILE_INLINE_MAX) {
		size_t n = (size_t)(end - start);
		if (buf_reserve(o, n) < 0)
			return FETCH_NOMEM;
		for (size_t got = 0; got < n;) {
			ssize_t r = pread(b->fd, o->data + o->len + got, n - got,
			    (off_t)(start + got));
			if (r <= 0)
				return FETCH_GONE;
			got += (size_t)r;
		}
		o->len += n;
		return client_conn_maybe_flush_bulk(&s->conn) == 0 ? FETCH_OK :
		    FETCH_GONE;
	}
	return client_conn_send_file(&s->conn, b->fd, (off_t)start,
	    end - start) < 0 ? FETCH_GONE : FETCH_OK;
}

/* Bytes built in memory as a literal (literal8 if binary with a NUL). */
static int
mem_literal(struct imap_session *s, const struct imap_fatt *a,
    const uint8_t *p, size_t n, bool binary)
{
	uint64_t start = 0, end = n;
	clip(a, &start, &end);
	struct buf *o = imap_out_buf(s);
	bool nul = binary && memchr(p + start, 0, (size_t)(end - start)) != NULL;
	buf_printf(o, "%s{%llu}\r\n", nul ? "~" : "",
	    (unsigned long long)(end - start));
	/* large pieces: flush first so the buffer never holds two copies */
	if (end - start > 65536 && !imap_flush_some(s))
		return FETCH_GONE;
	for (uint64_t off = start; off < end;) {
		size_t k = end - off > 65536 ? 65536 : (size_t)(end - off);
		if (buf_append(o, p + off, k) < 0 || !imap_flush_some(s))
			return FETCH_GONE;
		off += k;
	}
	return FETCH_OK;
}

static enum mime_section
mime_sec(enum imap_section_spec sp)
{
	switch (sp) {
	case SEC_HEADER: case SEC_HEADER_FIELDS: case SEC_HEADER_FIELDS_NOT:
		return MIME_SEC_HEADER;
	case SEC_TEXT:
		return MIME_SEC_TEXT;
	case SEC_MIME:
		return MIME_SEC_MIME;
	default:
		return MIME_SEC_BODY;
	}
}

static int
section(struct imap_session *s, struct imap_body *b, const struct imap_fatt *a)
{
	const struct imap_section *sec = &a->sec;
	struct buf *o = imap_out_buf(s);
	/* BODY[] and BODY[]<p>: the file as it is, no parse */
	if (sec->nparts == 0 && sec->spec == SEC_ALL) {
		uint64_t start = 0, end = b->size;
		clip(a, &start, &end);
		return file_literal(s, b, start, end);
	}
	if (parsed(b) < 0)
		return FETCH_NOMEM;
	size_t st, en;
	if (mime_section_range(&b->mime, sec->part, sec->nparts,
	    mime_sec(sec->spec), &st, &en) < 0) {
		buf_append_str(o, "NIL");
		return FETCH_OK;
	}
	if (sec->spec == SEC_HEADER_FIELDS || sec->spec == SEC_HEADER_FIELDS_NOT) {
		struct mime_str names[256];
		size_t nn = sec->nfields < 256 ? sec->nfields : 256;
		for (size_t i = 0; i < nn; i++) {
			names[i].p = sec->fields[i];
			names[i].len = strlen(sec->fields[i]);
		}
		struct buf f = BUF_INIT(en - st + 4);
		if (mime_hdr_filter(&f, b->map + st, en - st, names, nn,
		    sec->spec == SEC_HEADER_FIELDS_NOT) < 0) {
			buf_free(&f);
			return FETCH_NOMEM;
		}
		int r = mem_literal(s, a, f.data ? f.data : (const uint8_t *)"",
		    f.len, false);
		buf_free(&f);
		return r;
	}
	uint64_t start = st, end = en;
	clip(a, &start, &end);
	return file_literal(s, b, start, end);
}

/* BINARY[part] / BINARY.SIZE[part]: the content with its transfer
 * encoding undone (RFC 3516). */
static int
binary(struct imap_session *s, struct imap_body *b, const struct imap_fatt *a)
{
	struct buf *o = imap_out_buf(s);
	if (a->sec.nparts == 0) {
		/* the whole message: nothing to decode at the top */
		if (a->type == FA_BINARY_SIZE) {
			buf_printf(o, "%llu", (unsigned long long)b->size);
			return FETCH_OK;
		}
		if (parsed(b) < 0)
			return FETCH_NOMEM;
		return mem_literal(s, a, b->map ? b->map : (const uint8_t *)"",
		    (size_t)b->size, true);
	}
	if (parsed(b) < 0)
		return FETCH_NOMEM;
	uint32_t part = mime_section_part(&b->mime, a->sec.part, a->sec.nparts);
	if (part == MIME_NONE) {
		buf_append_str(o, "NIL");
		return FETCH_OK;
	}
	const struct mime_part *p = mime_part(&b->mime, part);
	struct buf d = BUF_INIT(p->end - p->body + 16);
	bool unknown = false;
	if (mime_part_decode(&b->mime, part, &d, &unknown) < 0) {
		buf_free(&d);
		return unknown ? FETCH_UNKNOWN_CTE : FETCH_NOMEM;
	}
	int r;
	if (a->type == FA_BINARY_SIZE) {
		buf_printf(o, "%zu", d.len);
		r = FETCH_OK;
	} else {
		r = mem_literal(s, a, d.data ? d.data : (const uint8_t *)"", d.len,
		    true);
	}
	buf_free(&d);
	return r;
}

int
imap_fetch_body_check(struct imap_body *b, const struct imap_fatt *a)
{
	if ((a->type != FA_BINARY && a->type != FA_BINARY_SIZE) ||
	    a->sec.nparts == 0)
		return FETCH_OK;
	if (parsed(b) < 0)
		return FETCH_NOMEM;
	uint32_t part = mime_section_part(&b->mime, a->sec.part, a->sec.nparts);
	if (part != MIME_NONE && mime_part_cte(&b->mime, part) == MIME_CTE_UNKNOWN)
		return FETCH_UNKNOWN_CTE;
	return FETCH_OK;
}

int
imap_fetch_body_item(struct imap_session *s, struct imap_body *b,
    const struct imap_fatt *a, bool first)
{
	struct buf *o = imap_out_buf(s);
	if (!first)
		buf_append_byte(o, ' ');
	/* the name first, so that a BINARY refusal can still be told apart */
	item_name(o, a, imap_utf8(s));
	buf_append_byte(o, ' ');
	switch (a->type) {
	case FA_RFC822: {
		return file_literal(s, b, 0, b->size);
	}
	case FA_RFC822_HEADER:
	case FA_RFC822_TEXT: {
		if (parsed(b) < 0)
			return FETCH_NOMEM;
		size_t st, en;
		if (mime_section_range(&b->mime, NULL, 0, a->type ==
		    FA_RFC822_HEADER ? MIME_SEC_HEADER : MIME_SEC_TEXT, &st,
		    &en) < 0) {
			st = en = 0;
		}
		return file_literal(s, b, st, en);
	}
	case FA_BINARY:
	case FA_BINARY_SIZE:
		return binary(s, b, a);
	default:
		return section(s, b, a);
	}
}
