/* mime_addr: RFC 5322 address-list parser (see mime_addr.h). */
#include "mime_addr.h"

#include <string.h>

#include "rfc822.h"

enum { F_NAME, F_ROUTE, F_MAILBOX, F_DOMAIN, F_COUNT };

struct actx {
	struct rfc822_cur c;
	struct buf f[F_COUNT];
	bool has[F_COUNT];
	const char *fixed[F_COUNT];   /* a constant instead of f[] */
	struct buf comment;
	struct buf tmp;
	bool invalid;
	unsigned left;
	mime_addr_fn fn;
	void *fnctx;
	int stop;
};

static void
clear(struct actx *a)
{
	for (int i = 0; i < F_COUNT; i++) {
		buf_reset(&a->f[i]);
		a->has[i] = false;
		a->fixed[i] = NULL;
	}
	a->invalid = false;
}

static void
set_fixed(struct actx *a, int i, const char *s)
{
	a->has[i] = true;
	a->fixed[i] = s;
	buf_reset(&a->f[i]);
}

static void
set_buf(struct actx *a, int i, const struct buf *src)
{
	buf_reset(&a->f[i]);
	buf_append(&a->f[i], src->data, src->len);
	a->has[i] = true;
	a->fixed[i] = NULL;
}

static void
emit(struct actx *a)
{
	if (a->stop != 0 || a->left == 0) {
		clear(a);
		return;
	}
	a->left--;
	struct mime_addr out;
	struct mime_str *dst[F_COUNT] = { &out.name, &out.route, &out.mailbox,
	    &out.domain };
	for (int i = 0; i < F_COUNT; i++) {
		if (!a->has[i]) {
			dst[i]->p = NULL;
			dst[i]->len = 0;
		} else if (a->fixed[i] != NULL) {
			dst[i]->p = a->fixed[i];
			dst[i]->len = strlen(a->fixed[i]);
		} else {
			dst[i]->p = a->f[i].len ? (const char *)a->f[i].data : "";
			dst[i]->len = a->f[i].len;
		}
	}
	out.invalid = a->invalid;
	a->stop = a->fn(a->fnctx, &out);
	clear(a);
}

static bool
field_empty(const struct actx *a, int i)
{
	if (!a->has[i])
		return true;
	return a->fixed[i] != NULL ? a->fixed[i][0] == '\0' : a->f[i].len == 0;
}

static void
emit_fixed(struct actx *a)
{
	if (!a->has[F_MAILBOX]) {
		set_fixed(a, F_MAILBOX, "MISSING_MAILBOX");
		a->invalid = true;
	}
	if (field_empty(a, F_DOMAIN)) {
		set_fixed(a, F_DOMAIN, "MISSING_DOMAIN");
		a->invalid = true;
	}
	emit(a);
}

static uint8_t
cur(const struct actx *a)
{
	return a->c.p < a->c.end ? *a->c.p : 0;
}

/* obs-local-part with lenient dots ("a..b", "a.") */
static int
local_part(struct actx *a)
{
	struct buf *t = &a->tmp;
	int r = -1;
	buf_reset(t);
	if (cur(a) == '"') {
		r = rfc822_quoted(&a->c, t);
	} else {
		do {
			while (cur(a) == '.') {
				buf_append_byte(t, '.');
				a->c.p++;
				if (!rfc822_more(&a->c)) {
					set_buf(a, F_MAILBOX, t);
					return 0;
				}
				r = 1;
			}
			if (cur(a) == '@')
				break;
			r = rfc822_atom(&a->c, t);
		} while (r > 0 && cur(a) == '.');
	}
	if (r < 0)
		return -1;
	set_buf(a, F_MAILBOX, t);
	return r;
}

static int
domain(struct actx *a)
{
	buf_reset(&a->tmp);
	int r = rfc822_domain(&a->c, &a->tmp);
	if (r < 0)
		return -1;
	set_buf(a, F_DOMAIN, &a->tmp);
	return r;
}

/* obs-domain-list: "@a,@b:" before the local part */
static int
route(struct actx *a)
{
	struct buf *t = &a->tmp;
	struct buf r1 = BUF_INIT(t->max);
	int r = 1;
	for (;;) {
		if (!rfc822_more(&a->c)) {
			r = 0;
			break;
		}
		if (cur(a) != '@')
			break;
		if (r1.len > 0)
			buf_append_byte(&r1, ',');
		buf_append_byte(&r1, '@');
		buf_reset(t);
		r = rfc822_domain(&a->c, t);
		buf_append(&r1, t->data, t->len);
		if (r <= 0)
			break;
		while (rfc822_skip_cfws(&a->c) > 0 && cur(a) == ',')
			a->c.p++;
	}
	if (r > 0)
		set_buf(a, F_ROUTE, &r1);
	buf_free(&r1);
	return r;
}

static int
angle_addr(struct actx *a)
{
	a->c.p++;   /* '<' */
	if (rfc822_skip_cfws(&a->c) <= 0)
		return -1;
	if (cur(a) == '@') {
		if (route(a) > 0 && cur(a) == ':') {
			a->c.p++;
		} else {
			set_fixed(a, F_ROUTE, "INVALID_ROUTE");
			if (!rfc822_more(&a->c))
				return -1;
		}
		if (rfc822_skip_cfws(&a->c) <= 0)
			return -1;
	}
	if (cur(a) != '>') {
		if (local_part(a) <= 0)
			return -1;
		if (cur(a) == '@' && domain(a) <= 0)
			return -1;
	}
	if (cur(a) != '>')
		return -1;
	a->c.p++;
	return rfc822_skip_cfws(&a->c);
}

static int
name_addr(struct actx *a)
{
	buf_reset(&a->tmp);
	if (rfc822_phrase(&a->c, &a->tmp) <= 0 || cur(a) != '<')
		return -1;
	if (a->tmp.len > 0)
		set_buf(a, F_NAME, &a->tmp);
	if (angle_addr(a) < 0) {
		set_fixed(a, F_DOMAIN, "SYNTAX_ERROR");
		a->invalid = true;
	}
	return rfc822_more(&a->c) ? 1 : 0;
}

static int
addr_spec(struct actx *a)
{
	int r, r2 = -2;
	buf_reset(&a->comment);
	a->c.last_comment = &a->comment;
	bool quoted = cur(a) == '"';
	r = local_part(a);
	if (r <= 0)
		a->invalid = true;
	if (r != 0 && cur(a) == '@' && rfc822_more(&a->c)) {
		r2 = domain(a);
		if (r2 <= 0)
			r = r2;
	}
	a->c.last_comment = NULL;
	if (a->comment.len > 0) {
		set_buf(a, F_NAME, &a->comment);
	} else if (r2 == -2) {
		/* "user" alone is a mailbox; "user more words" a name */
		struct buf *t = &a->tmp;
		buf_reset(t);
		if (a->has[F_MAILBOX])
			buf_append(t, a->f[F_MAILBOX].data, a->f[F_MAILBOX].len);
		buf_append_byte(t, ' ');
		size_t before = t->len;
		(void)rfc822_phrase(&a->c, t);
		if (t->len != before) {
			a->has[F_MAILBOX] = false;
			set_buf(a, F_NAME, t);
		} else if (!quoted) {
			set_fixed(a, F_DOMAIN, "");
		}
		a->invalid = true;
		r = -1;
	}
	return r;
}

static int
mailbox(struct actx *a)
{
	const uint8_t *start = a->c.p;
	int r = name_addr(a);
	if (r < 0) {
		a->c.p = start;
		clear(a);
		r = addr_spec(a);
		if (a->invalid && !a->has[F_NAME] && a->has[F_MAILBOX] &&
		    !a->has[F_DOMAIN]) {
			set_buf(a, F_NAME, &a->f[F_MAILBOX]);
			a->has[F_MAILBOX] = false;
		}
	}
	if (r < 0)
		a->invalid = true;
	emit_fixed(a);
	return r;
}

static int
group(struct actx *a)
{
	buf_reset(&a->tmp);
	if (rfc822_phrase(&a->c, &a->tmp) <= 0 || cur(a) != ':')
		return -1;
	/* a group from here on, whatever follows */
	a->c.p++;
	int r = rfc822_skip_cfws(&a->c);
	if (r <= 0)
		a->invalid = true;
	set_buf(a, F_MAILBOX, &a->tmp);
	emit(a);
	if (r > 0 && cur(a) != ';') {
		for (;;) {
			(void)mailbox(a);
			if (cur(a) != ',' || !rfc822_more(&a->c))
				break;
			a->c.p++;
			if (rfc822_skip_cfws(&a->c) <= 0) {
				r = -1;
				break;
			}
		}
	}
	if (r >= 0) {
		if (cur(a) != ';' || !rfc822_more(&a->c)) {
			r = -1;
		} else {
			a->c.p++;
			r = rfc822_skip_cfws(&a->c);
		}
	}
	if (r < 0)
		a->invalid = true;
	emit(a);   /* end of group: all NIL */
	return r == 0 ? 0 : 1;
}

static int
address(struct actx *a)
{
	const uint8_t *start = a->c.p;
	int r = group(a);
	if (r < 0) {
		a->c.p = start;
		clear(a);
		r = mailbox(a);
	}
	return r;
}

int
mime_addr_parse(const uint8_t *value, size_t len, unsigned max_addrs,
    mime_addr_fn fn, void *ctx)
{
	struct actx a;
	memset(&a, 0, sizeof(a));
	rfc822_init(&a.c, value, len);
	/* no string can grow past the value plus the longest fixed text */
	size_t max = len + 32;
	for (int i = 0; i < F_COUNT; i++)
		buf_init(&a.f[i], max);
	buf_init(&a.comment, max);
	buf_init(&a.tmp, max);
	a.left = max_addrs;
	a.fn = fn;
	a.fnctx = ctx;

	if (rfc822_skip_cfws(&a.c) > 0) {
		while (a.left > 0 && a.stop == 0) {
			if (address(&a) == 0)
				break;
			if (cur(&a) != ',' || !rfc822_more(&a.c))
				break;
			a.c.p++;
			int r = rfc822_skip_cfws(&a.c);
			if (r <= 0) {
				if (r < 0)   /* ends with garbage */
					emit_fixed(&a);
				break;
			}
		}
	}
	for (int i = 0; i < F_COUNT; i++)
		buf_free(&a.f[i]);
	buf_free(&a.comment);
	buf_free(&a.tmp);
	return a.stop;
}
