/* mime: the message parser and the part tree (see mime.h). */
#include "mime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rfc822.h"

/* ---------------------------------------------------------------- lines */

/* End of the line starting at p (index just past its LF, or len). */
static size_t
line_end(const uint8_t *d, size_t len, size_t p)
{
	const uint8_t *lf = memchr(d + p, '\n', len - p);
	return lf == NULL ? len : (size_t)(lf - d) + 1;
}

static bool
line_is_blank(const uint8_t *d, size_t p, size_t e)
{
	return (e - p == 1 && d[p] == '\n') ||
	    (e - p == 2 && d[p] == '\r' && d[p + 1] == '\n');
}

/* The line end before a boundary line at b belongs to the boundary:
 * where the previous body really ends (never before floor). */
static size_t
before_eol(const uint8_t *d, size_t b, size_t floor)
{
	size_t e = b;
	if (e > floor && d[e - 1] == '\n') {
		e--;
		if (e > floor && d[e - 1] == '\r')
			e--;
	}
	return e;
}

/* ---------------------------------------------------------------- header fields */

void
mime_hdr_init(struct mime_hdr_iter *it, const uint8_t *hdr, size_t len)
{
	it->p = hdr;
	it->end = hdr + len;
}

void
mime_hdr_init_part(struct mime_hdr_iter *it, const struct mime_msg *m,
    uint32_t part)
{
	const struct mime_part *p = mime_part(m, part);
	if (p == NULL)
		mime_hdr_init(it, m->data, 0);
	else
		mime_hdr_init(it, m->data + p->hdr, p->body - p->hdr);
}

bool
mime_hdr_next(struct mime_hdr_iter *it, struct mime_field *f)
{
	const uint8_t *p = it->p, *end = it->end;
	for (;;) {
		if (p >= end)
			return false;
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
			it->p = end;   /* the empty line ends the header */
			return false;
		}
		if (*p != ' ' && *p != '\t')
			break;
		/* a continuation with no field before it: skip the line */
		const uint8_t *lf = memchr(p, '\n', (size_t)(end - p));
		p = lf == NULL ? end : lf + 1;
	}
	/* the field runs to the first line end not followed by a blank */
	const uint8_t *start = p, *e = p;
	for (;;) {
		const uint8_t *lf = memchr(e, '\n', (size_t)(end - e));
		if (lf == NULL) {
			e = end;
			break;
		}
		e = lf + 1;
		if (e >= end || (*e != ' ' && *e != '\t'))
			break;
	}
	it->p = e;
	f->raw = start;
	f->raw_len = (size_t)(e - start);
	const uint8_t *ve = e;   /* value end: without the last line end */
	if (ve > start && ve[-1] == '\n') {
		ve--;
		if (ve > start && ve[-1] == '\r')
			ve--;
	}
	const uint8_t *colon = memchr(start, ':', (size_t)(ve - start));
	const uint8_t *lf1 = memchr(start, '\n', (size_t)(ve - start));
	if (colon == NULL || (lf1 != NULL && lf1 < colon)) {
		f->name = start;
		f->name_len = 0;
		f->value = start;
		f->value_len = (size_t)(ve - start);
		return true;
	}
	const uint8_t *ne = colon;
	while (ne > start && (ne[-1] == ' ' || ne[-1] == '\t'))
		ne--;
	f->name = start;
	f->name_len = (size_t)(ne - start);
	const uint8_t *v = colon + 1;
	while (v < ve && (*v == ' ' || *v == '\t'))
		v++;
	f->value = v;
	f->value_len = (size_t)(ve - v);
	return true;
}

bool
mime_field_is(const struct mime_field *f, const char *name)
{
	size_t n = strlen(name);
	return f->name_len == n &&
	    strncasecmp((const char *)f->name, name, n) == 0;
}

bool
mime_hdr_find(const struct mime_msg *m, uint32_t part, const char *name,
    struct mime_field *f)
{
	struct mime_hdr_iter it;
	mime_hdr_init_part(&it, m, part);
	while (mime_hdr_next(&it, f))
		if (mime_field_is(f, name))
			return true;
	return false;
}

int
mime_hdr_filter(struct buf *out, const uint8_t *hdr, size_t len,
    const struct mime_str *names, size_t nnames, bool not)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	mime_hdr_init(&it, hdr, len);
	while (mime_hdr_next(&it, &f)) {
		bool match = false;
		for (size_t i = 0; i < nnames && !match && f.name_len; i++)
			match = names[i].len == f.name_len &&
			    strncasecmp(names[i].p, (const char *)f.name,
			    f.name_len) == 0;
		if (match == not)
			continue;
		if (buf_append(out, f.raw, f.raw_len) < 0)
			return -1;
		/* a last field without its line end still gets one */
		if (f.raw[f.raw_len - 1] != '\n' &&
		    buf_append(out, "\r\n", 2) < 0)
			return -1;
	}
	return buf_append(out, "\r\n", 2);
}

/* ---------------------------------------------------------------- Content-Type */

static void
ctype_init(struct mime_ctype *ct, size_t n)
{
	memset(&ct->type, 0, sizeof(ct->type));
	memset(&ct->subtype, 0, sizeof(ct->subtype));
	ct->nparams = 0;
	ct->broken = false;
	/* reserved once, so the pointers handed out never move */
	buf_init(&ct->scratch, 4 * n + 64);
	(void)buf_reserve(&ct->scratch, ct->scratch.max);
}

void
mime_ctype_free(struct mime_ctype *ct)
{
	buf_free(&ct->scratch);
}

static struct mime_str
scratch_str(struct mime_ctype *ct, size_t from)
{
	struct mime_str s = { NULL, 0 };
	if (ct->scratch.failed || ct->scratch.data == NULL)
		return (struct mime_str){ "", 0 };
	s.p = (const char *)ct->scratch.data + from;
	s.len = ct->scratch.len - from;
	return s;
}

/* One ";key=value". 1 read, 0 at the end, -1 broken. */
static int
content_param(struct rfc822_cur *c, struct mime_ctype *ct,
    struct mime_str *key, struct mime_str *val)
{
	struct buf *s = &ct->scratch;
	if (!rfc822_more(c))
		return 0;
	if (*c->p != ';')
		return -1;
	c->p++;
	if (rfc822_skip_cfws(c) <= 0)
		return -1;
	size_t k0 = s->len;
	if (rfc822_mime_token(c, s) <= 0 || *c->p != '=')
		return -1;
	*key = scratch_str(ct, k0);
	c->p++;
	size_t v0 = s->len;
	int r = rfc822_skip_cfws(c);
	if (r > 0) {
		if (*c->p == '"') {
			r = rfc822_quoted(c, s);
		} else if (*c->p == '=') {
			/* broken name==?utf-8?b?...?= : take the word */
			while (c->p < c->end && *c->p != ';' && *c->p != ' ' &&
			    *c->p != '\t' && *c->p != '\r' && *c->p != '\n')
				buf_append_byte(s, *c->p++);
		} else {
			r = rfc822_mime_token(c, s);
		}
	}
	*val = scratch_str(ct, v0);
	return r < 0 ? -1 : 1;
}

struct p2231 {
	struct mime_str key;   /* name before '*' */
	struct mime_str value;
	unsigned idx;
	bool extended;
};

static int
p2231_cmp(const void *a, const void *b)
{
	const struct p2231 *x = a, *y = b;
	size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
	int r = memcmp(x->key.p, y->key.p, n);
	if (r != 0)
		return r;
	if (x->key.len != y->key.len)
		return x->key.len < y->key.len ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Duplicates are kept, in order (BODYSTRUCTURE shows them as Dovecot 2.3
 * does); lookups take the first. */
static void
add_param(struct mime_ctype *ct, struct mime_str k, struct mime_str v)
{
	if (ct->nparams < MIME_MAX_PARAMS) {
		ct->params[ct->nparams].name = k;
		ct->params[ct->nparams].value = v;
		ct->nparams++;
	}
}

/* RFC 2231: key*N[*] pieces merged into key (or key* when any piece is
 * extended, keeping the charset''%XX form for the client to decode). */
static void
merge_2231(struct mime_ctype *ct, struct p2231 *x, size_t nx)
{
	struct buf *s = &ct->scratch;
	qsort(x, nx, sizeof(*x), p2231_cmp);
	size_t next;
	for (size_t i = 0; i < nx; i = next) {
		bool ok = true, ext = false;
		unsigned want = 0;
		for (next = i; next < nx; next++, want++) {
			if (x[next].key.len != x[i].key.len ||
			    strncasecmp(x[next].key.p, x[i].key.p,
			    x[i].key.len) != 0)
				break;
			if (x[next].idx != want)
				ok = false;
			ext |= x[next].extended;
		}
		size_t k0 = s->len;
		if (!ok) {
			/* pieces missing: hand them over as they came */
			for (size_t j = i; j < next; j++) {
				k0 = s->len;
				buf_append(s, x[j].key.p, x[j].key.len);
				buf_printf(s, x[j].extended ? "*%u*" : "*%u",
				    x[j].idx);
				struct mime_str k = scratch_str(ct, k0);
				add_param(ct, k, x[j].value);
			}
			continue;
		}
		buf_append(s, x[i].key.p, x[i].key.len);
		if (ext)
			buf_append_byte(s, '*');
		struct mime_str k = scratch_str(ct, k0);
		size_t v0 = s->len;
		if (!x[i].extended && ext)
			buf_append(s, "''", 2);
		for (size_t j = i; j < next; j++) {
			if (x[j].extended || !ext) {
				buf_append(s, x[j].value.p, x[j].value.len);
				continue;
			}
			for (size_t q = 0; q < x[j].value.len; q++) {
				if (x[j].value.p[q] == '%')
					buf_append(s, "%25", 3);
				else
					buf_append_byte(s, (uint8_t)x[j].value.p[q]);
			}
		}
		add_param(ct, k, scratch_str(ct, v0));
	}
}

static void
params_parse(struct rfc822_cur *c, struct mime_ctype *ct)
{
	struct p2231 x[MIME_MAX_PARAMS];
	size_t nx = 0;
	struct mime_str k, v;
	int r;
	while ((r = content_param(c, ct, &k, &v)) != 0) {
		if (r < 0) {
			/* skip a byte and try again, like Dovecot */
			if (!rfc822_more(c))
				break;
			c->p++;
			continue;
		}
		const char *star = memchr(k.p, '*', k.len);
		bool plain = star == NULL;
		struct p2231 p = { { k.p, star ? (size_t)(star - k.p) : 0 },
		    v, 0, false };
		if (!plain) {
			const char *q = star, *e = k.p + k.len;
			if (q + 1 < e)   /* "key*" alone is extended, index 0 */
				for (q++; q < e && *q >= '0' && *q <= '9' &&
				    p.idx < 100000; q++)
					p.idx = p.idx * 10 + (unsigned)(*q - '0');
			if (q < e && *q == '*') {
				p.extended = true;   /* key*N* or key* */
				q++;
			}
			plain = q != e;   /* "a*b=": not RFC 2231 */
		}
		if (plain)
			add_param(ct, k, v);
		else if (nx < MIME_MAX_PARAMS)
			x[nx++] = p;
	}
	if (nx > 0)
		merge_2231(ct, x, nx);
}

void
mime_ctype_parse(struct mime_ctype *ct, const uint8_t *v, size_t n)
{
	struct rfc822_cur c;
	struct buf *s;
	ctype_init(ct, n);
	s = &ct->scratch;
	rfc822_init(&c, v, n);
	ct->broken = true;
	ct->type = ct->subtype = (struct mime_str){ "", 0 };
	if (rfc822_skip_cfws(&c) <= 0)
		return;
	size_t t0 = s->len;
	int r = rfc822_mime_token(&c, s);
	if (r <= 0 && s->len > t0) {
		/* "text" alone: Dovecot keeps the type, no subtype */
		ct->type = scratch_str(ct, t0);
		return;
	}
	if (r <= 0 || s->len == t0 || *c.p != '/')
		return;
	c.p++;
	if (rfc822_skip_cfws(&c) <= 0)
		return;
	size_t s0 = s->len;
	r = rfc822_mime_token(&c, s);
	if (r < 0 || s->len == s0 || (rfc822_more(&c) && *c.p != ';'))
		return;
	ct->type = scratch_str(ct, t0);
	ct->type.len = s0 - t0;
	ct->subtype = scratch_str(ct, s0);
	ct->broken = false;
	params_parse(&c, ct);
}

void
mime_disposition_parse(struct mime_ctype *ct, const uint8_t *v, size_t n)
{
	struct rfc822_cur c;
	ctype_init(ct, n);
	rfc822_init(&c, v, n);
	ct->broken = true;
	ct->type = ct->subtype = (struct mime_str){ "", 0 };
	(void)rfc822_skip_cfws(&c);
	size_t t0 = ct->scratch.len;
	if (rfc822_mime_token(&c, &ct->scratch) < 0)
		return;
	ct->type = scratch_str(ct, t0);
	ct->broken = false;
	params_parse(&c, ct);
}

const struct mime_str *
mime_param_get(const struct mime_ctype *ct, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < ct->nparams; i++)
		if (ct->params[i].name.len == n &&
		    strncasecmp(ct->params[i].name.p, name, n) == 0)
			return &ct->params[i].value;
	return NULL;
}

static bool
str_is(const struct mime_str *s, const char *lit)
{
	size_t n = strlen(lit);
	return s->len == n && strncasecmp(s->p, lit, n) == 0;
}

/* ---------------------------------------------------------------- parser */

struct open_mp {
	uint32_t part;
	const uint8_t *b;   /* boundary (points into the message) */
	size_t blen;
};

struct pctx {
	struct mime_msg *m;
	struct mime_limits lim;
	struct open_mp *stack;   /* open multiparts, innermost last */
	size_t depth;
	bool no_boundaries;      /* part limit reached: stop looking */
	size_t last_bline_end;   /* just past the last boundary line */
};

static uint32_t
new_part(struct pctx *x, uint32_t parent, size_t hdr)
{
	struct mime_msg *m = x->m;
	if (m->nparts == m->cap) {
		uint32_t ncap = m->cap * 2;
		if (ncap > x->lim.max_parts + 1)
			ncap = x->lim.max_parts + 1;
		struct mime_part *np;
		if (m->parts == m->inline_parts) {
			np = malloc(ncap * sizeof(*np));
			if (np != NULL)
				memcpy(np, m->parts, m->nparts * sizeof(*np));
		} else {
			np = realloc(m->parts, ncap * sizeof(*np));
		}
		if (np == NULL)
			return MIME_NONE;
		m->parts = np;
		m->cap = ncap;
	}
	uint32_t i = m->nparts++;
	struct mime_part *p = &m->parts[i];
	memset(p, 0, sizeof(*p));
	p->hdr = p->body = p->end = hdr;
	p->parent = parent;
	p->child = p->next = MIME_NONE;
	if (parent != MIME_NONE) {
		struct mime_part *pp = &m->parts[parent];
		p->depth = (uint16_t)(pp->depth + 1);
		if (pp->child == MIME_NONE) {
			pp->child = i;
		} else {
			/* children are made in order; find the last one */
			uint32_t c = pp->child;
			while (m->parts[c].next != MIME_NONE)
				c = m->parts[c].next;
			m->parts[c].next = i;
		}
	}
	return i;
}

/* What the header says this part is. */
struct hdr_info {
	bool has_ctype;
	bool mime_version;
	const uint8_t *ctype;
	size_t ctype_len;
};

static void
scan_header(struct pctx *x, uint32_t pi, struct hdr_info *hi)
{
	struct mime_msg *m = x->m;
	const struct mime_part *p = &m->parts[pi];
	struct mime_hdr_iter it;
	struct mime_field f;
	memset(hi, 0, sizeof(*hi));
	mime_hdr_init(&it, m->data + p->hdr, p->body - p->hdr);
	while (mime_hdr_next(&it, &f)) {
		if (f.name_len == 12 && mime_field_is(&f, "Content-Type")) {
			if (!hi->has_ctype) {
				hi->has_ctype = true;
				hi->ctype = f.value;
				hi->ctype_len = f.value_len;
			}
		} else if (f.name_len == 12 && mime_field_is(&f,
		    "MIME-Version")) {
			hi->mime_version = true;
		}
	}
	/* 8-bit and NUL bytes: cheap to learn here, useful to lmtpd */
	for (size_t i = p->hdr; i < p->body; i++) {
		if (m->data[i] >= 0x80)
			m->flags |= MIME_M_8BIT_HDR;
		else if (m->data[i] == 0)
			m->flags |= MIME_M_NUL_HDR;
	}
}

static bool
limits_allow_children(const struct pctx *x, uint32_t pi)
{
	const struct mime_part *p = &x->m->parts[pi];
	return (unsigned)p->depth + 1 < x->lim.max_depth &&
	    x->m->nparts < x->lim.max_parts;
}

enum next { N_HEADER, N_BODY };

/* The header of part pi has ended: decide what its body is. Returns the
 * part to continue with and whether its header comes next. */
static uint32_t
after_header(struct pctx *x, uint32_t pi, enum next *nx)
{
	struct mime_msg *m = x->m;
	struct hdr_info hi;
	scan_header(x, pi, &hi);
	struct mime_part *p = &m->parts[pi];
	uint32_t parent = p->parent;
	bool in_multipart = parent != MIME_NONE &&
	    m->parts[parent].kind == MIME_MULTIPART;
	bool digest_child = in_multipart &&
	    (m->parts[parent].flags & MIME_P_DIGEST);
	bool is_mime = in_multipart || hi.mime_version || hi.has_ctype;
	*nx = N_BODY;
	if (is_mime)
		p->flags |= MIME_P_IS_MIME;

	bool multipart = false, message = false;
	const struct mime_str *bnd = NULL;
	struct mime_ctype ct;
	bool have_ct = false;
	if (is_mime && hi.has_ctype) {
		mime_ctype_parse(&ct, hi.ctype, hi.ctype_len);
		have_ct = true;
		if (str_is(&ct.type, "text"))
			p->flags |= MIME_P_TEXT;
		else if (str_is(&ct.type, "message") &&
		    str_is(&ct.subtype, "rfc822"))
			message = true;
		else if (str_is(&ct.type, "multipart")) {
			multipart = true;
			if (str_is(&ct.subtype, "digest"))
				p->flags |= MIME_P_DIGEST;
			bnd = mime_param_get(&ct, "boundary");
		}
	} else if (digest_child) {
		message = true;
	} else {
		p->flags |= MIME_P_TEXT;
	}

	uint32_t next = pi;
	if (multipart) {
		if (!limits_allow_children(x, pi)) {
			p->flags |= MIME_P_TRUNCATED;
			p->flags &= (uint8_t)~MIME_P_DIGEST;
			m->flags |= MIME_M_LIMIT;
		} else {
			p->kind = MIME_MULTIPART;
			if (bnd != NULL) {   /* even "": every "--" line */
				/* the boundary text must live as long as the
				 * tree: point into the header when it is
				 * there verbatim, which it is unless quoted
				 * with escapes; else keep it in the stack */
				struct open_mp *o = &x->stack[x->depth++];
				size_t bl = bnd->len < MIME_BOUNDARY_MAX ?
				    bnd->len : MIME_BOUNDARY_MAX;
				const uint8_t *h = m->data + p->hdr;
				const uint8_t *at = memmem(h, p->body - p->hdr,
				    bnd->p, bl);
				o->part = pi;
				o->blen = bl;
				if (at != NULL) {
					o->b = at;
				} else {
					/* not verbatim: copy it aside */
					uint8_t *cp = malloc(bl);
					if (cp != NULL)
						memcpy(cp, bnd->p, bl);
					o->b = cp;
					if (cp == NULL)
						x->depth--;
				}
			}
		}
	} else if (message) {
		if (!limits_allow_children(x, pi)) {
			p->flags |= MIME_P_TRUNCATED;
			m->flags |= MIME_M_LIMIT;
		} else {
			p->kind = MIME_MESSAGE;
			uint32_t c = new_part(x, pi, p->body);
			p = &m->parts[pi];   /* the table may have moved */
			if (c != MIME_NONE) {
				next = c;
				*nx = N_HEADER;
			} else {
				p->kind = MIME_LEAF;
				p->flags |= MIME_P_TRUNCATED;
			}
		}
	}
	if (have_ct)
		mime_ctype_free(&ct);
	return next;
}

/* A line starting "--" at b: which open boundary does it start? The
 * innermost longest prefix wins; an exact match ends the search. */
static ssize_t
match_boundary(const struct pctx *x, const uint8_t *d, size_t len, size_t b,
    bool *close)
{
	if (x->depth == 0 || x->no_boundaries || len - b < 2 ||
	    d[b] != '-' || d[b + 1] != '-')
		return -1;
	const uint8_t *s = d + b + 2;
	size_t e = line_end(d, len, b + 2);
	size_t n = e - (b + 2);
	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	bool dashes = n > 2 && s[n - 1] == '-' && s[n - 2] == '-';
	ssize_t best = -1;
	for (size_t i = x->depth; i-- > 0;) {
		const struct open_mp *o = &x->stack[i];
		if (o->blen > n || memcmp(o->b, s, o->blen) != 0)
			continue;
		if (best < 0 || x->stack[best].blen < o->blen) {
			best = (ssize_t)i;
			if (o->blen == n || (dashes && o->blen + 2 == n))
				break;
		}
	}
	if (best >= 0) {
		size_t bl = x->stack[best].blen;
		*close = n >= bl + 2 && s[bl] == '-' && s[bl + 1] == '-';
	}
	return best;
}

/* Next line start >= from that opens a known boundary; len if none. */
static size_t
find_boundary(const struct pctx *x, const uint8_t *d, size_t len, size_t from,
    ssize_t *level, bool *close)
{
	if (x->depth == 0 || x->no_boundaries)
		return len;
	size_t p = from;
	/* from is a line start: check it, then every "\n--" after it */
	if ((*level = match_boundary(x, d, len, p, close)) >= 0)
		return p;
	while (p < len) {
		const uint8_t *q = memmem(d + p, len - p, "\n--", 3);
		if (q == NULL)
			break;
		p = (size_t)(q - d) + 1;
		if ((*level = match_boundary(x, d, len, p, close)) >= 0)
			return p;
	}
	return len;
}

static void
pop_to(struct pctx *x, size_t depth)
{
	while (x->depth > depth) {
		struct open_mp *o = &x->stack[--x->depth];
		const uint8_t *h = x->m->data;
		if (o->b < h || o->b >= h + x->m->len)
			free((void *)(uintptr_t)o->b);
	}
}

/* End every open part from cur up to (not including) stop at e. */
static void
close_chain(struct mime_msg *m, uint32_t cur, uint32_t stop, size_t e)
{
	while (cur != MIME_NONE && cur != stop) {
		struct mime_part *p = &m->parts[cur];
		p->end = e < p->body ? p->body : e;
		cur = p->parent;
	}
}

static int
run(struct pctx *x)
{
	struct mime_msg *m = x->m;
	const uint8_t *d = m->data;
	size_t len = m->len;
	uint32_t cur = new_part(x, MIME_NONE, 0);
	if (cur == MIME_NONE)
		return -1;
	enum next phase = N_HEADER;
	size_t pos = 0;
	for (;;) {
		ssize_t level = -1;
		bool close = false;
		uint32_t cut = MIME_NONE;   /* part whose header a boundary cut */
		size_t b;   /* where a boundary line starts, or len */
		if (phase == N_HEADER) {
			struct mime_part *p = &m->parts[cur];
			size_t q = pos;
			b = len;
			while (q < len) {
				if ((level = match_boundary(x, d, len, q,
				    &close)) >= 0) {
					b = q;
					break;
				}
				size_t e = line_end(d, len, q);
				if (line_is_blank(d, q, e)) {
					p->body = e;
					break;
				}
				q = e;
			}
			if (q < len && level < 0) {
				pos = p->body;
				cur = after_header(x, cur, &phase);
				continue;
			}
			/* header cut short by a boundary or the end */
			p->flags |= MIME_P_NO_EOH;
			p->body = b == len ? len : before_eol(d, b, p->hdr);
			cut = cur;
			cur = after_header(x, cur, &phase);
		} else {
			b = find_boundary(x, d, len, pos, &level, &close);
		}
		if (b == len) {
			close_chain(m, cur, MIME_NONE, len);
			break;
		}
		/* a boundary line of the multipart at stack[level] */
		uint32_t mp = x->stack[level].part;
		/* the line end before a boundary line belongs to it, unless
		 * it ended the boundary line just before (as in Dovecot) */
		close_chain(m, cur, mp, b == x->last_bline_end ? b :
		    before_eol(d, b, 0));
		/* Dovecot gives the line end a cut header loses to the
		 * enclosing message/rfc822 part: its size counts it */
		if (cut != MIME_NONE) {
			uint32_t par = m->parts[cut].parent;
			if (par != MIME_NONE && par != mp &&
			    m->parts[par].kind == MIME_MESSAGE)
				m->parts[par].end = b;
		}
		size_t after = line_end(d, len, b);
		x->last_bline_end = after;
		if (close) {
			pop_to(x, (size_t)level);
			cur = mp;
			phase = N_BODY;   /* the epilogue */
			pos = after;
			continue;
		}
		pop_to(x, (size_t)level + 1);
		if (m->nparts >= x->lim.max_parts) {
			/* no more parts: the rest is body of what is open */
			m->flags |= MIME_M_LIMIT;
			x->no_boundaries = true;
			cur = mp;
			phase = N_BODY;
			pos = after;
			continue;
		}
		cur = new_part(x, mp, after);
		if (cur == MIME_NONE)
			return -1;
		phase = N_HEADER;
		pos = after;
	}
	return 0;
}

int
mime_parse(struct mime_msg *m, const void *data, size_t len,
    const struct mime_limits *lim)
{
	struct pctx x;
	memset(m, 0, sizeof(*m));
	m->data = data;
	m->len = len;
	m->parts = m->inline_parts;
	m->cap = MIME_INLINE_PARTS;
	memset(&x, 0, sizeof(x));
	x.m = m;
	x.lim.max_depth = lim ? lim->max_depth : MIME_DEFAULT_MAX_DEPTH;
	x.lim.max_parts = lim ? lim->max_parts : MIME_DEFAULT_MAX_PARTS;
	if (x.lim.max_depth < 1)
		x.lim.max_depth = 1;
	if (x.lim.max_depth > UINT16_MAX)
		x.lim.max_depth = UINT16_MAX;
	if (x.lim.max_parts < 1)
		x.lim.max_parts = 1;
	struct open_mp small[16];
	x.stack = x.lim.max_depth <= 16 ? small :
	    malloc(x.lim.max_depth * sizeof(*x.stack));
	int r = -1;
	if (x.stack != NULL)
		r = run(&x);
	pop_to(&x, 0);
	if (x.stack != small)
		free(x.stack);
	if (r < 0) {
		mime_free(m);
		errno = ENOMEM;
	}
	return r;
}

void
mime_free(struct mime_msg *m)
{
	if (m->parts != m->inline_parts)
		free(m->parts);
	m->parts = m->inline_parts;
	m->nparts = 0;
	m->cap = MIME_INLINE_PARTS;
}

/* ---------------------------------------------------------------- part info */

void
mime_part_type(const struct mime_msg *m, uint32_t part, char *type,
    size_t typesz, char *subtype, size_t subsz)
{
	const struct mime_part *p = mime_part(m, part);
	const char *t = "text", *s = "plain";
	struct mime_field f;
	struct mime_ctype ct;
	bool have = false;
	if (p != NULL && p->kind == MIME_MESSAGE) {
		t = "message";
		s = "rfc822";
	} else if (p != NULL && (p->flags & MIME_P_IS_MIME) &&
	    mime_hdr_find(m, part, "Content-Type", &f)) {
		mime_ctype_parse(&ct, f.value, f.value_len);
		have = true;
		t = NULL;
	} else if (p != NULL && !(p->flags & MIME_P_TEXT)) {
		t = "message";   /* a digest's default */
		s = "rfc822";
	}
	if (t != NULL) {
		buf_strlcpy(type, typesz, t, strlen(t));
		buf_strlcpy(subtype, subsz, s, strlen(s));
	} else {
		if (buf_strlcpy(type, typesz, ct.type.p, ct.type.len) < 0)
			type[0] = '\0';
		if (buf_strlcpy(subtype, subsz, ct.subtype.p,
		    ct.subtype.len) < 0)
			subtype[0] = '\0';
		for (char *c = type; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		for (char *c = subtype; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	}
	if (have)
		mime_ctype_free(&ct);
}

enum mime_cte
mime_part_cte(const struct mime_msg *m, uint32_t part)
{
	const struct mime_part *p = mime_part(m, part);
	struct mime_field f;
	if (p == NULL || !(p->flags & MIME_P_IS_MIME) ||
	    !mime_hdr_find(m, part, "Content-Transfer-Encoding", &f))
		return MIME_CTE_7BIT;
	return mime_cte_parse(f.value, f.value_len);
}

uint32_t
mime_count_lines(const struct mime_msg *m, size_t start, size_t end)
{
	uint32_t n = 0;
	const uint8_t *p = m->data + start, *e = m->data + end;
	while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

int
mime_part_decode(const struct mime_msg *m, uint32_t part, struct buf *out,
    bool *unknown_cte)
{
	const struct mime_part *p = mime_part(m, part);
	*unknown_cte = false;
	if (p == NULL)
		return -1;
	enum mime_cte cte = p->kind == MIME_LEAF ? mime_part_cte(m, part) :
	    MIME_CTE_BINARY;
	if (cte == MIME_CTE_UNKNOWN) {
		*unknown_cte = true;
		return -1;
	}
	return mime_cte_decode(out, cte, m->data + p->body, p->end - p->body);
}

/* ---------------------------------------------------------------- sections */

static uint32_t
nth_child(const struct mime_msg *m, uint32_t pi, uint32_t k)
{
	uint32_t c = m->parts[pi].child;
	while (c != MIME_NONE && --k > 0)
		c = m->parts[c].next;
	return c;
}

uint32_t
mime_section_part(const struct mime_msg *m, const uint32_t *path, size_t n)
{
	if (m->nparts == 0)
		return MIME_NONE;
	uint32_t node = 0;
	bool at_message = true;   /* node is a message, not a chosen part */
	for (size_t i = 0; i < n; i++) {
		uint32_t k = path[i];
		const struct mime_part *p = &m->parts[node];
		if (k == 0)
			return MIME_NONE;
		if (p->kind == MIME_MULTIPART) {
			node = nth_child(m, node, k);
		} else if (at_message) {
			/* a single-part message is its own part 1 */
			if (k != 1)
				return MIME_NONE;
		} else if (p->kind == MIME_MESSAGE) {
			uint32_t inner = p->child;
			if (m->parts[inner].kind == MIME_MULTIPART)
				node = nth_child(m, inner, k);
			else if (k == 1)
				node = inner;
			else
				return MIME_NONE;
		} else {
			return MIME_NONE;
		}
		if (node == MIME_NONE)
			return MIME_NONE;
		at_message = false;
	}
	return node;
}

int
mime_section_range(const struct mime_msg *m, const uint32_t *path, size_t n,
    enum mime_section what, size_t *start, size_t *end)
{
	uint32_t pi = mime_section_part(m, path, n);
	if (pi == MIME_NONE)
		return -1;
	const struct mime_part *p = &m->parts[pi];
	if (n == 0 && what == MIME_SEC_BODY) {
		*start = 0;
		*end = m->len;
		return 0;
	}
	if (n > 0 && (what == MIME_SEC_HEADER || what == MIME_SEC_TEXT)) {
		if (p->kind != MIME_MESSAGE)
			return -1;
		p = &m->parts[p->child];
	}
	switch (what) {
	case MIME_SEC_BODY:
		*start = p->body;
		*end = p->end;
		return 0;
	case MIME_SEC_HEADER:
		*start = p->hdr;
		*end = p->body;
		return 0;
	case MIME_SEC_TEXT:
		*start = p->body;
		*end = p->end;
		return 0;
	case MIME_SEC_MIME:
		if (n == 0)
			return -1;
		*start = p->hdr;
		*end = p->body;
		return 0;
	}
	return -1;
}
