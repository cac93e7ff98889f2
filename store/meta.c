/* meta: the appended message's metadata block (see meta.h). */
#include "meta.h"
#include "ipc.h"

#include <string.h>

#define TEXT_MAX (1024 * 1024)
#define PREVIEW_MAX 4096
#define HEADERS_MAX (8 * 1024 * 1024)
#define FTS_TEXT_MAX (32 * 1024 * 1024)

uint32_t meta_max_len = META_DEFAULT_LEN;

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
	if (n > META_MAX_LEN)
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
		get(&c, &m->t[i], i == MT_PREVIEW ? PREVIEW_MAX : TEXT_MAX);
	ipc_get_u32(&c, &m->info);
	get(&c, &m->headers, HEADERS_MAX);
	get(&c, &m->text, FTS_TEXT_MAX);
	if (ipc_get_end(&c) < 0)
		return -1;
	if ((m->flags & ~STORE_FLAGS_ALL) != 0 || m->tzoff < -24 * 60 ||
	    m->tzoff > 24 * 60)
		return -1;
	return 0;
}
