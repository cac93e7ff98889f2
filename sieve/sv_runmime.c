/* sv_runmime: MIME parts during a run (RFC 5703): fields of a part, the
 * foreverypart loop with break, and the structured values of :mime. */
#include <string.h>
#include <strings.h>

#include "sv_check.h"
#include "sv_run.h"
#include "sv_table.h"

static size_t
nparts(const struct run *r)
{
	return r->m->part_header != NULL ? r->m->nparts : 1;
}

int
sv_run_field(struct run *r, size_t part, const char *name, size_t i,
    const char **value, size_t *len)
{
	if (r->m->part_header != NULL)
		return r->m->part_header(r->m->ctx, part, name, i, value, len);
	if (part != 0 || r->m->header == NULL)
		return -1;
	return r->m->header(r->m->ctx, name, i, value, len);
}

bool
sv_run_part_within(struct run *r, size_t p, size_t root)
{
	/* each parent comes before its child: at most p steps up */
	if (p >= nparts(r))
		return false;
	for (size_t hops = 0, limit = p; hops <= limit; hops++) {
		if (p == root)
			return true;
		if (p == 0 || r->m->part_parent == NULL)
			return false;
		size_t up = r->m->part_parent(r->m->ctx, p);
		if (up >= p)
			return false;
		p = up;
	}
	return false;
}

static bool
same_name(const struct sv_arg *a, const struct sv_arg *b)
{
	return a != NULL && b != NULL && a->strs[0].n == b->strs[0].n &&
	    memcmp(a->strs[0].s, b->strs[0].s, a->strs[0].n) == 0;
}

int
sv_run_foreverypart(struct run *r, const struct sv_node *n,
    int (*block)(struct run *, const struct sv_node *))
{
	size_t outer = r->part;
	const struct sv_arg *name = sv_tag_value(n, SV_TAG_NAME);
	for (size_t p = outer + 1; p < nparts(r) && !r->stopped &&
	    !r->returning; p++) {
		if (!sv_run_part_within(r, p, outer))
			continue;
		if (sv_run_step(r, 1) < 0)
			return -1;
		r->part = p;
		int rc = block(r, n->block);
		r->part = outer;
		if (rc < 0)
			return -1;
		if (r->breaking) {
			/* this loop is the one named, or the nearest */
			if (r->break_name == NULL ||
			    same_name(r->break_name, name)) {
				r->breaking = false;
				r->break_name = NULL;
			}
			break;
		}
	}
	return 0;
}

static struct sv_span
trim(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'
	    || s[n - 1] == '\n'))
		n--;
	return (struct sv_span){ s, n };
}

/* The value of parameter name in "type/sub; a=1; b="2"", or false. */
static bool
param_value(struct sv_span v, const struct sv_str *name, struct sv_span *out)
{
	const char *end = v.s + v.n, *p = memchr(v.s, ';', v.n);
	while (p != NULL && p < end) {
		const char *next = memchr(p + 1, ';', (size_t)(end - p - 1));
		const char *stop = next ? next : end;
		const char *eq = memchr(p + 1, '=', (size_t)(stop - p - 1));
		if (eq != NULL) {
			struct sv_span k = trim(p + 1, (size_t)(eq - p - 1));
			struct sv_span val = trim(eq + 1, (size_t)(stop - eq - 1));
			if (val.n >= 2 && val.s[0] == '"' && val.s[val.n - 1] == '"')
				val = (struct sv_span){ val.s + 1, val.n - 2 };
			if (k.n == name->n && strncasecmp(k.s, name->s, k.n) == 0) {
				*out = val;
				return true;
			}
		}
		p = next;
	}
	return false;
}

size_t
sv_run_mime_values(struct run *r, const struct sv_node *t, struct sv_span v,
    struct sv_span *out, size_t max)
{
	(void)r;
	struct sv_span ct = trim(v.s, v.n);
	const char *semi = memchr(ct.s, ';', ct.n);
	struct sv_span full = trim(ct.s, semi ? (size_t)(semi - ct.s) : ct.n);
	const char *slash = memchr(full.s, '/', full.n);
	const struct sv_arg *params = sv_tag_value(t, SV_TAG_PARAM);
	size_t n = 0;
	if (params != NULL) {
		for (uint32_t i = 0; i < params->nstrs && n < max; i++)
			if (param_value(ct, &params->strs[i], &out[n]))
				n++;
		return n;
	}
	if (sv_has_tag(t, SV_TAG_TYPE))
		out[n++] = trim(full.s, slash ? (size_t)(slash - full.s) : full.n);
	else if (sv_has_tag(t, SV_TAG_SUBTYPE))
		out[n++] = slash ? trim(slash + 1, full.n -
		    (size_t)(slash + 1 - full.s)) : (struct sv_span){ "", 0 };
	else if (sv_has_tag(t, SV_TAG_CONTENTTYPE))
		out[n++] = full;
	else
		out[n++] = v;
	return n;
}
