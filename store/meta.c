/* meta: the appended message's metadata block, both ways (see meta.h). */
#include "meta.h"
#include "ipc.h"

#include <string.h>

static size_t
text_max(enum meta_text t)
{
	return t == MT_PREVIEW ? STORE_META_PREVIEW_MAX : STORE_META_FIELD_MAX;
}

static void
put_text(struct buf *b, const char *s)
{
	ipc_put_bytes(b, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

int
meta_encode(struct buf *b, const struct store_msg_meta *m)
{
	ipc_put_u64(b, m->internaldate);
	ipc_put_u32(b, (uint32_t)m->tzoff);
	ipc_put_u32(b, m->flags);
	ipc_put_u32(b, (uint32_t)m->nkeywords);
	for (size_t i = 0; i < m->nkeywords; i++)
		ipc_put_str(b, m->keywords[i]);
	ipc_put_u64(b, m->sentdate);
	/* in enum meta_text order */
	const char *const texts[MT_COUNT] = {
		m->envelope, m->bodystructure, m->body, m->from, m->to, m->cc,
		m->bcc, m->subject, m->message_id, m->in_reply_to, m->references,
		m->sort_subject, m->sort_from, m->sort_to, m->sort_cc,
		m->display_from, m->display_to, m->preview,
	};
	for (size_t i = 0; i < MT_COUNT; i++)
		put_text(b, texts[i]);
	ipc_put_u32(b, m->info);
	ipc_put_bytes(b, m->headers ? m->headers : "", m->headers ? m->headers_len : 0);
	ipc_put_bytes(b, m->text ? m->text : "", m->text ? m->text_len : 0);
	if (b->len > STORE_META_MAX)
		b->failed = true;
	return b->failed ? -1 : 0;
}

static int
get(struct buf_cur *c, struct meta_bytes *b, size_t max)
{
	return ipc_get_bytes(c, &b->p, &b->n, max);
}

int
meta_decode(const uint8_t *p, size_t n, struct meta *m)
{
	struct buf_cur c;
	uint32_t tz;
	memset(m, 0, sizeof(*m));
	if (n > STORE_META_MAX)
		return -1;
	buf_cur_init(&c, p, n);
	ipc_get_u64(&c, &m->internaldate);
	ipc_get_u32(&c, &tz);
	m->tzoff = (int32_t)tz;
	ipc_get_u32(&c, &m->flags);
	if (ipc_get_u32(&c, &m->nkw) < 0 || m->nkw > STORE_MAX_KEYWORDS)
		return -1;
	for (uint32_t i = 0; i < m->nkw; i++) {
		const char *s;
		if (ipc_get_strp(&c, &s, &m->kw[i].n, STORE_KEYWORD_MAX) < 0 ||
		    m->kw[i].n == 0)
			return -1;
		m->kw[i].p = (const uint8_t *)s;
	}
	ipc_get_u64(&c, &m->sentdate);
	for (int i = 0; i < MT_COUNT; i++)
		get(&c, &m->t[i], text_max((enum meta_text)i));
	ipc_get_u32(&c, &m->info);
	get(&c, &m->headers, STORE_META_HEADERS_MAX);
	get(&c, &m->text, STORE_META_TEXT_MAX);
	if (ipc_get_end(&c) < 0)
		return -1;
	if ((m->flags & ~STORE_FLAGS_ALL) != 0 || m->tzoff < -24 * 60 ||
	    m->tzoff > 24 * 60)
		return -1;
	return 0;
}
