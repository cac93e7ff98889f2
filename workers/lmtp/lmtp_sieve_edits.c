/* lmtp_sieve_edits: the versions Sieve edits make (see header). */
#include "lmtp_sieve_edits.h"

#include <string.h>
#include <unistd.h>

#include "lmtp_outgoing.h"

void
lmtp_version_original(struct lmtp_version *v, const struct lmtp_delivery *d)
{
	v->msg = d->t->msg;
	v->len = d->t->len;
	v->memfd = d->memfd;
	v->size = d->size;
	v->meta = d->meta;
	v->m = d->m;
}

/* The metadata of the new bytes, the search header lines with the trace
 * fields first, as lmtp_store makes them for the message as it came. */
static int
describe(struct lmtp_edited *e, const struct lmtp_delivery *d)
{
	if (mime_parse(&e->m, e->bytes.data, e->bytes.len, NULL) < 0)
		return -1;
	if (msgmeta_build(&e->mm, &e->m, d->lim) < 0)
		return -1;
	struct mime_msg tm;
	buf_init(&e->hdrs, d->lim->headers_max + 8192);
	if (mime_parse(&tm, d->trace, d->trace_len, NULL) == 0) {
		msgmeta_header_lines(&tm, 0, &e->hdrs, d->lim->headers_max);
		mime_free(&tm);
	}
	buf_append(&e->hdrs, e->mm.meta.headers, e->mm.meta.headers_len);
	e->meta = e->mm.meta;
	e->meta.internaldate = d->meta->internaldate;
	e->meta.tzoff = d->meta->tzoff;
	e->meta.headers = (const char *)e->hdrs.data;
	e->meta.headers_len = e->hdrs.failed ? 0 : e->hdrs.len;
	return 0;
}

static int
build_one(struct lmtp_edits *ed, size_t k, const struct lmtp_delivery *d,
    const struct sieve_action *a, const struct lmtp_edit_env *env,
    const char **why)
{
	struct lmtp_edited *e = &ed->e[k];
	const struct lmtp_version *prev = &ed->v[k];
	memset(e, 0, sizeof(*e));
	e->memfd = -1;
	e->built = true;
	buf_init(&e->bytes, (size_t)d->max_size);
	if (lmtp_edit_apply(&e->bytes, prev->m, a, env, why) < 0)
		return -1;
	*why = "out of memory";
	if (describe(e, d) < 0)
		return -1;
	struct iovec iov[2] = {
		{ (void *)(uintptr_t)d->trace, d->trace_len },
		{ e->bytes.data, e->bytes.len },
	};
	if (lmtp_memfd_fill(&e->memfd, iov, 2) < 0)
		return -1;
	struct lmtp_version *v = &ed->v[k + 1];
	v->msg = e->bytes.data;
	v->len = e->bytes.len;
	v->memfd = e->memfd;
	v->size = d->trace_len + e->bytes.len;
	v->meta = &e->meta;
	v->m = &e->m;
	return 0;
}

int
lmtp_edits_build(struct lmtp_edits *ed, const struct lmtp_delivery *d,
    const struct sieve_action *const *acts, size_t n,
    const struct lmtp_edit_env *env, const char **why)
{
	memset(ed, 0, sizeof(*ed));
	for (size_t i = 0; i <= LMTP_EDITS_MAX; i++)
		lmtp_version_original(&ed->v[i], d);
	for (size_t k = 0; k < n && k < LMTP_EDITS_MAX; k++) {
		ed->n = k + 1;
		if (build_one(ed, k, d, acts[k], env, why) < 0) {
			for (size_t i = 0; i <= LMTP_EDITS_MAX; i++)
				lmtp_version_original(&ed->v[i], d);
			return -1;
		}
	}
	for (size_t i = ed->n + 1; i <= LMTP_EDITS_MAX; i++)
		ed->v[i] = ed->v[ed->n];
	return 0;
}

void
lmtp_edits_free(struct lmtp_edits *ed)
{
	for (size_t k = 0; k < LMTP_EDITS_MAX; k++) {
		struct lmtp_edited *e = &ed->e[k];
		if (!e->built)
			continue;
		if (e->memfd >= 0)
			close(e->memfd);
		mime_free(&e->m);
		msgmeta_free(&e->mm);
		buf_free(&e->hdrs);
		buf_free(&e->bytes);
		e->built = false;
	}
}
