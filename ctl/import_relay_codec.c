/*
 * import_relay_codec: the records between an import source's child and
 * its parent (import_relay.h). The decoder reads bytes a compromised child
 * could have written: every length is checked against what is left.
 */
#include "import_relay.h"

#include <string.h>

int
relay_put_folder(struct buf *out, const struct import_folder *f)
{
	size_t n = strlen(f->name);
	return buf_put_u8(out, 'F') | buf_put_u32(out, (uint32_t)(13 + n)) |
	    buf_put_u32(out, f->uidvalidity) | buf_put_u32(out, f->uidnext) |
	    buf_put_u32(out, f->special_use) |
	    buf_put_u8(out, f->subscribed ? 1 : 0) |
	    buf_append(out, f->name, n);
}

int
relay_put_have(struct buf *out, uint32_t uid)
{
	return buf_put_u8(out, 'H') | buf_put_u32(out, 4) | buf_put_u32(out, uid);
}

int
relay_put_msg(struct buf *out, const struct import_msg *m)
{
	size_t n = 18 + m->len, nkw = m->nkeywords;
	if (nkw > RELAY_KEYWORDS_MAX)
		nkw = RELAY_KEYWORDS_MAX;
	for (size_t i = 0; i < nkw; i++)
		n += 1 + strlen(m->keywords[i]);
	if (n > UINT32_MAX)
		return -1;
	int rc = buf_put_u8(out, 'M') | buf_put_u32(out, (uint32_t)n) |
	    buf_put_u32(out, m->uid) | buf_put_u32(out, m->flags) |
	    buf_put_u64(out, (uint64_t)m->internal_date) |
	    buf_put_u16(out, (uint16_t)nkw);
	for (size_t i = 0; i < nkw; i++) {
		size_t k = strlen(m->keywords[i]);
		if (k > RELAY_KEYWORD_LEN)
			return -1;
		rc |= buf_put_u8(out, (uint8_t)k) |
		    buf_append(out, m->keywords[i], k);
	}
	return rc | buf_append(out, m->data, m->len);
}

/* n bytes as a NUL-ended string in dst[size]; -1 if a NUL is among them
 * or they do not fit. */
static int
cstr(char *dst, size_t size, const uint8_t *p, size_t n)
{
	if (n >= size || memchr(p, 0, n) != NULL)
		return -1;
	memcpy(dst, p, n);
	dst[n] = 0;
	return 0;
}

static int
decode_folder(struct buf_cur *c, struct relay_rec *r)
{
	uint8_t sub;
	const uint8_t *name;
	if (buf_get_u32(c, &r->f.uidvalidity) < 0 ||
	    buf_get_u32(c, &r->f.uidnext) < 0 ||
	    buf_get_u32(c, &r->f.special_use) < 0 || buf_get_u8(c, &sub) < 0 ||
	    sub > 1 || (r->f.special_use & ~STORE_USE_MASK) != 0)
		return -1;
	size_t n = c->left;
	if (n == 0 || buf_get_bytes(c, &name, n) < 0 ||
	    cstr(r->name, sizeof(r->name), name, n) < 0)
		return -1;
	r->f.subscribed = sub == 1;
	r->f.name = r->name;
	return 0;
}

static int
decode_msg(struct buf_cur *c, struct relay_rec *r)
{
	uint64_t date;
	uint16_t nkw;
	if (buf_get_u32(c, &r->m.uid) < 0 || buf_get_u32(c, &r->m.flags) < 0 ||
	    buf_get_u64(c, &date) < 0 || buf_get_u16(c, &nkw) < 0 ||
	    (r->m.flags & ~STORE_FLAGS_ALL) != 0 || nkw > RELAY_KEYWORDS_MAX)
		return -1;
	char *kw = r->kwbuf;
	for (size_t i = 0; i < nkw; i++) {
		uint8_t k;
		const uint8_t *p;
		if (buf_get_u8(c, &k) < 0 || k == 0 ||
		    buf_get_bytes(c, &p, k) < 0 ||
		    cstr(kw, (size_t)k + 1, p, k) < 0)
			return -1;
		r->kw[i] = kw;
		kw += k + 1;
	}
	const uint8_t *data;
	size_t n = c->left;
	if (buf_get_bytes(c, &data, n) < 0)
		return -1;
	r->m.internal_date = (int64_t)date;
	r->m.keywords = r->kw;
	r->m.nkeywords = nkw;
	r->m.data = (const char *)data;
	r->m.len = n;
	return 0;
}

int
relay_decode(char type, const uint8_t *body, size_t len, struct relay_rec *r)
{
	struct buf_cur c;
	buf_cur_init(&c, body, len);
	r->type = type;
	switch (type) {
	case 'F':
		return decode_folder(&c, r) < 0 ? -1 : buf_cur_end(&c);
	case 'H':
		return buf_get_u32(&c, &r->uid) < 0 ? -1 : buf_cur_end(&c);
	case 'M':
		return decode_msg(&c, r) < 0 ? -1 : buf_cur_end(&c);
	default:
		return -1;
	}
}
