/* lmtp_sieve_msg: the message's callbacks for sieve_run (see the header). */
#include "lmtp_sieve_msg.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "mime_index.h"
#include "rfc2047.h"

struct smsg_field {
	const char *name, *value;
	size_t name_len, value_len;
};

struct lmtp_smsg_part {
	bool made;
	struct smsg_field *f;
	size_t n;
	uint32_t *order;      /* f by name (any case), then position */
	const char *text;     /* part_text, once made */
	size_t text_len;
	bool text_made;
};

static int
name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = strncasecmp(a, b, an < bn ? an : bn);
	return c != 0 ? c : (an > bn) - (an < bn);
}

static int
order_cmp(const void *x, const void *y, void *arg)
{
	const struct smsg_field *f = arg;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	int c = name_cmp(f[a].name, f[a].name_len, f[b].name, f[b].name_len);
	return c != 0 ? c : (a > b) - (a < b);
}

/* A copy of b's bytes in the arena (NULL: the arena is full). */
static const char *
keep(struct lmtp_smsg *s, const struct buf *b)
{
	if (b->failed)
		return NULL;
	return imap_arena_strndup(&s->arena, b->data ? (const char *)b->data :
	    "", b->len);
}

/* The fields of one part, unfolded and decoded, once per run. */
static struct lmtp_smsg_part *
part_fields(struct lmtp_smsg *s, size_t part)
{
	if (part >= s->m->nparts)
		return NULL;
	if (s->parts == NULL) {
		s->parts = imap_arena_alloc(&s->arena,
		    s->m->nparts * sizeof(*s->parts));
		if (s->parts == NULL)
			return NULL;
	}
	struct lmtp_smsg_part *p = &s->parts[part];
	if (p->made)
		return p;
	struct mime_hdr_iter it;
	struct mime_field f;
	size_t n = 0;
	mime_hdr_init_part(&it, s->m, (uint32_t)part);
	while (mime_hdr_next(&it, &f))
		n += f.name_len > 0;
	p->f = imap_arena_alloc(&s->arena, (n ? n : 1) * sizeof(*p->f));
	if (p->f == NULL)
		return NULL;
	struct buf v = BUF_INIT(SIEVE_MAX_STRING * 4);
	mime_hdr_init_part(&it, s->m, (uint32_t)part);
	while (mime_hdr_next(&it, &f) && p->n < n) {
		if (f.name_len == 0)
			continue;
		buf_reset(&v);
		rfc2047_decode(&v, f.value, f.value_len);
		v.failed = false;   /* a huge field is tested cut */
		struct smsg_field *o = &p->f[p->n];
		o->name = (const char *)f.name;
		o->name_len = f.name_len;
		o->value = keep(s, &v);
		o->value_len = v.len;
		if (o->value == NULL) {
			buf_free(&v);
			return NULL;
		}
		p->n++;
	}
	buf_free(&v);
	/* a header of many fields is searched by name, not scanned: a
	 * script's steps stay what its work costs */
	p->order = imap_arena_alloc(&s->arena, (n ? n : 1) * sizeof(*p->order));
	if (p->order == NULL)
		return NULL;
	for (size_t k = 0; k < p->n; k++)
		p->order[k] = (uint32_t)k;
	qsort_r(p->order, p->n, sizeof(*p->order), order_cmp, p->f);
	p->made = true;
	return p;
}

int
lmtp_smsg_field(struct lmtp_smsg *s, size_t part, const char *name,
    size_t i, const char **value, size_t *len)
{
	struct lmtp_smsg_part *p = part_fields(s, part);
	if (p == NULL)
		return -1;
	size_t nl = strlen(name), lo = 0, hi = p->n;
	while (lo < hi) {   /* the first field of that name */
		size_t mid = lo + (hi - lo) / 2;
		const struct smsg_field *f = &p->f[p->order[mid]];
		if (name_cmp(f->name, f->name_len, name, nl) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo + i >= p->n)
		return -1;
	const struct smsg_field *f = &p->f[p->order[lo + i]];
	if (name_cmp(f->name, f->name_len, name, nl) != 0)
		return -1;
	*value = f->value;
	*len = f->value_len;
	return 0;
}

static int
cb_header(void *ctx, const char *name, size_t i, const char **value,
    size_t *len)
{
	return lmtp_smsg_field(ctx, 0, name, i, value, len);
}

static int
cb_part_header(void *ctx, size_t part, const char *name, size_t i,
    const char **value, size_t *len)
{
	return lmtp_smsg_field(ctx, part, name, i, value, len);
}

static size_t
cb_part_parent(void *ctx, size_t part)
{
	struct lmtp_smsg *s = ctx;
	const struct mime_part *p = mime_part(s->m, (uint32_t)part);
	return p == NULL || p->parent == MIME_NONE ? 0 : p->parent;
}

/* The part's body transfer-decoded and, for text, made UTF-8. */
static int
decoded_text(const struct mime_msg *m, uint32_t part, struct buf *out)
{
	struct buf raw = BUF_INIT(LMTP_SMSG_TEXT * 4);
	bool unknown = false;
	int rc = mime_part_decode(m, part, &raw, &unknown);
	if (rc == 0 && (m->parts[part].flags & MIME_P_TEXT)) {
		struct mime_field f;
		const struct mime_str *cs = NULL;
		struct mime_ctype ct;
		bool have = mime_hdr_find(m, part, "Content-Type", &f);
		if (have) {
			mime_ctype_parse(&ct, f.value, f.value_len);
			cs = mime_param_get(&ct, "charset");
		}
		rc = charset_to_utf8(out, cs ? cs->p : "us-ascii",
		    cs ? cs->len : 8, raw.data ? raw.data : (const uint8_t *)"",
		    raw.len);
		if (have)
			mime_ctype_free(&ct);
	} else if (rc == 0) {
		rc = buf_append(out, raw.data ? raw.data : (const uint8_t *)"",
		    raw.len);
	}
	buf_free(&raw);
	return rc;
}

/* Does a part's type match one of types ("" any, "text", "text/html")? */
static bool
type_matches(const struct mime_msg *m, uint32_t part,
    const char *const *types, size_t ntypes)
{
	char type[64], sub[64];
	mime_part_type(m, part, type, sizeof(type), sub, sizeof(sub));
	for (size_t i = 0; i < ntypes; i++) {
		const char *t = types[i], *slash = strchr(t, '/');
		size_t tl = slash ? (size_t)(slash - t) : strlen(t);
		if (t[0] == '\0')
			return true;
		if (strlen(type) != tl || strncasecmp(type, t, tl) != 0)
			continue;
		if (slash == NULL || strcasecmp(sub, slash + 1) == 0)
			return true;
	}
	return false;
}

/* :content: the leaf parts of those types, decoded, one after another. */
static int
content_text(struct lmtp_smsg *s, const char *const *types, size_t ntypes,
    struct buf *out)
{
	for (uint32_t p = 0; p < s->m->nparts; p++) {
		if (s->m->parts[p].kind != MIME_LEAF ||
		    !type_matches(s->m, p, types, ntypes))
			continue;
		if (out->len > 0)
			buf_append(out, "\n", 1);
		if (decoded_text(s->m, p, out) < 0)
			break;   /* past the cap: what fits is tested */
	}
	return 0;
}

/* The types of a :content test as one string (the cache's key). */
static const char *
types_key(struct lmtp_smsg *s, const char *const *types, size_t ntypes)
{
	struct buf k = BUF_INIT(SIEVE_MAX_STRING);
	for (size_t i = 0; i < ntypes; i++) {
		buf_append_str(&k, types[i]);
		buf_append_byte(&k, '\n');
	}
	const char *key = keep(s, &k);
	buf_free(&k);
	return key;
}

static int
cb_body(void *ctx, enum sieve_body_transform t, const char *const *types,
    size_t ntypes, const char **text, size_t *len)
{
	struct lmtp_smsg *s = ctx;
	const struct mime_part *root = mime_part(s->m, 0);
	if (root == NULL)
		return -1;
	if (t == SIEVE_BODY_RAW) {
		*text = (const char *)s->m->data + root->body;
		*len = root->end - root->body;
		return 0;
	}
	const char *key = t == SIEVE_BODY_CONTENT ?
	    types_key(s, types, ntypes) : "";
	if (key == NULL)
		return -1;
	for (size_t i = 0; i < s->nbodies; i++) {
		if (s->bodies[i].t == t && strcmp(s->bodies[i].types, key) == 0) {
			*text = s->bodies[i].text;
			*len = s->bodies[i].len;
			return 0;
		}
	}
	if (s->nbodies == LMTP_SMSG_BODY_VIEWS)
		return -1;   /* a script cannot make lmtpd decode without end */
	struct buf out = BUF_INIT(LMTP_SMSG_TEXT);
	if (t == SIEVE_BODY_TEXT)
		mime_text_extract(s->m, &out, LMTP_SMSG_TEXT);
	else
		content_text(s, types, ntypes, &out);
	out.failed = false;   /* a cut text is still the text */
	struct lmtp_smsg_body *b = &s->bodies[s->nbodies];
	b->t = t;
	b->types = key;
	b->text = keep(s, &out);
	b->len = out.len;
	buf_free(&out);
	if (b->text == NULL)
		return -1;
	s->nbodies++;
	*text = b->text;
	*len = b->len;
	return 0;
}

static int
cb_part_text(void *ctx, size_t part, const char **text, size_t *len)
{
	struct lmtp_smsg *s = ctx;
	const struct mime_part *p = mime_part(s->m, (uint32_t)part);
	struct lmtp_smsg_part *sp = part_fields(s, part);
	if (p == NULL || sp == NULL || p->kind != MIME_LEAF ||
	    !(p->flags & MIME_P_TEXT))
		return -1;
	if (!sp->text_made) {   /* decoded once, however often it is asked */
		struct buf out = BUF_INIT(LMTP_SMSG_TEXT);
		decoded_text(s->m, (uint32_t)part, &out);
		out.failed = false;
		sp->text = keep(s, &out);
		sp->text_len = out.len;
		sp->text_made = true;
		buf_free(&out);
	}
	*text = sp->text;
	*len = sp->text_len;
	return *text != NULL ? 0 : -1;
}

void
lmtp_smsg_init(struct lmtp_smsg *s, const struct mime_msg *m)
{
	memset(s, 0, sizeof(*s));
	s->m = m;
	imap_arena_init(&s->arena, LMTP_SMSG_MEMORY);
	s->sm.ctx = s;
	s->sm.header = cb_header;
	s->sm.body = cb_body;
	s->sm.size = m->len;
	s->sm.nparts = m->nparts;
	s->sm.part_parent = cb_part_parent;
	s->sm.part_header = m->nparts > 1 ? cb_part_header : NULL;
	s->sm.part_text = cb_part_text;
}

void
lmtp_smsg_reset(struct lmtp_smsg *s)
{
	imap_arena_reset(&s->arena);
	s->parts = NULL;
	s->nbodies = 0;
}

void
lmtp_smsg_free(struct lmtp_smsg *s)
{
	lmtp_smsg_reset(s);
}
