/* mime_imap: ENVELOPE and BODYSTRUCTURE strings (see mime_imap.h). */
#include "mime_imap.h"

#include <string.h>
#include <strings.h>

#include "imapstr.h"
#include "mime_addr.h"
#include "rfc822.h"

/* Nesting of one part's own parentheses is small; parts nest by
 * recursion, which the parser's depth limit bounds. */

/* ---------------------------------------------------------------- ENVELOPE */

enum env_field {
	E_DATE, E_SUBJECT, E_FROM, E_SENDER, E_REPLY_TO, E_TO, E_CC, E_BCC,
	E_IN_REPLY_TO, E_MESSAGE_ID, E_COUNT
};

static const char *const env_names[E_COUNT] = {
	"Date", "Subject", "From", "Sender", "Reply-To", "To", "Cc", "Bcc",
	"In-Reply-To", "Message-ID",
};

static bool
is_addr_field(int i)
{
	return i >= E_FROM && i <= E_BCC;
}

struct addr_out {
	struct buf *out;
	unsigned flags;
	bool any;
};

static int
write_addr(void *ctx, const struct mime_addr *a)
{
	struct addr_out *o = ctx;
	struct buf *b = o->out;
	if (!o->any && buf_append_byte(b, '(') < 0)
		return -1;
	o->any = true;
	if (buf_append_byte(b, '(') < 0 ||
	    imapstr_human(b, a->name.p, a->name.len, o->flags) < 0 ||
	    buf_append_byte(b, ' ') < 0 ||
	    imapstr_nstring(b, a->route.p, a->route.len, o->flags) < 0 ||
	    buf_append_byte(b, ' ') < 0 ||
	    imapstr_nstring(b, a->mailbox.p, a->mailbox.len, o->flags) < 0 ||
	    buf_append_byte(b, ' ') < 0 ||
	    imapstr_nstring(b, a->domain.p, a->domain.len, o->flags) < 0 ||
	    buf_append_byte(b, ')') < 0)
		return -1;
	return 0;
}

/* Every header of that name, merged as one list (so a second From cannot
 * hide behind the first); NIL when there are no addresses. */
static int
write_addrs(struct buf *out, const struct mime_msg *m, uint32_t msg,
    const char *name, unsigned flags, bool *any)
{
	struct addr_out o = { out, flags, false };
	struct mime_hdr_iter it;
	struct mime_field f;
	mime_hdr_init_part(&it, m, msg);
	while (mime_hdr_next(&it, &f)) {
		if (!mime_field_is(&f, name))
			continue;
		if (mime_addr_parse(f.value, f.value_len, UINT32_MAX,
		    write_addr, &o) != 0)
			return -1;
	}
	*any = o.any;
	if (!o.any)
		return buf_append(out, "NIL", 3);
	return buf_append_byte(out, ')');
}

static bool
has_addrs(const struct mime_msg *m, uint32_t msg, const char *name)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	mime_hdr_init_part(&it, m, msg);
	while (mime_hdr_next(&it, &f)) {
		if (!mime_field_is(&f, name))
			continue;
		/* any address at all? a cheap probe: parse with a budget
		 * of one and count */
		struct rfc822_cur c;
		rfc822_init(&c, f.value, f.value_len);
		if (rfc822_skip_cfws(&c) > 0)
			return true;
	}
	return false;
}

int
mime_imap_envelope(struct buf *out, const struct mime_msg *m, uint32_t msg,
    unsigned flags)
{
	struct mime_field last[E_COUNT];
	bool seen[E_COUNT] = { false };
	struct mime_hdr_iter it;
	struct mime_field f;
	if (mime_part(m, msg) == NULL)
		return buf_append_str(out,
		    "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
	/* the string fields: the last one counts (as in Dovecot) */
	mime_hdr_init_part(&it, m, msg);
	while (mime_hdr_next(&it, &f)) {
		for (int i = 0; i < E_COUNT; i++) {
			if (is_addr_field(i) || !mime_field_is(&f, env_names[i]))
				continue;
			last[i] = f;
			seen[i] = true;
		}
	}
#define SVAL(i) (seen[i] ? (const void *)last[i].value : NULL), \
	(seen[i] ? last[i].value_len : 0)
	if (buf_append_byte(out, '(') < 0 ||
	    imapstr_nstring_nolf(out, SVAL(E_DATE), flags) < 0 ||
	    buf_append_byte(out, ' ') < 0 ||
	    imapstr_human(out, SVAL(E_SUBJECT), flags) < 0)
		return -1;
	/* Sender and Reply-To default to From */
	for (int i = E_FROM; i <= E_BCC; i++) {
		const char *name = env_names[i];
		bool any;
		if ((i == E_SENDER || i == E_REPLY_TO) &&
		    !has_addrs(m, msg, name))
			name = env_names[E_FROM];
		if (buf_append_byte(out, ' ') < 0 ||
		    write_addrs(out, m, msg, name, flags, &any) < 0)
			return -1;
	}
	if (buf_append_byte(out, ' ') < 0 ||
	    imapstr_nstring_nolf(out, SVAL(E_IN_REPLY_TO), flags) < 0 ||
	    buf_append_byte(out, ' ') < 0 ||
	    imapstr_nstring_nolf(out, SVAL(E_MESSAGE_ID), flags) < 0 ||
	    buf_append_byte(out, ')') < 0)
		return -1;
#undef SVAL
	return 0;
}

/* ---------------------------------------------------------------- BODYSTRUCTURE */

/* The Content-* fields of one part, as Dovecot keeps them: the first of
 * each counts, except Disposition (the first one with parameters). */
struct cfields {
	struct mime_field type, cte, id, desc, md5, lang, loc, disp;
	bool has_type, has_cte, has_id, has_desc, has_md5, has_lang, has_loc,
	    has_disp;
	bool disp_params;
};

static void
get_cfields(const struct mime_msg *m, uint32_t part, struct cfields *c)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	memset(c, 0, sizeof(*c));
	if (!(m->parts[part].flags & MIME_P_IS_MIME))
		return;   /* no MIME-Version, no Content-Type: none count */
	mime_hdr_init_part(&it, m, part);
	while (mime_hdr_next(&it, &f)) {
		if (f.name_len < 9 || strncasecmp((const char *)f.name,
		    "Content-", 8) != 0)
			continue;
#define TAKE(fld, nm) \
		if (mime_field_is(&f, nm)) { \
			if (!c->has_##fld) { c->fld = f; c->has_##fld = true; } \
			continue; \
		}
		TAKE(type, "Content-Type")
		TAKE(cte, "Content-Transfer-Encoding")
		TAKE(id, "Content-ID")
		TAKE(desc, "Content-Description")
		TAKE(md5, "Content-MD5")
		TAKE(lang, "Content-Language")
		TAKE(loc, "Content-Location")
#undef TAKE
		if (mime_field_is(&f, "Content-Disposition") &&
		    !c->disp_params) {
			struct mime_ctype d;
			mime_disposition_parse(&d, f.value, f.value_len);
			if (!d.broken) {
				c->disp = f;
				c->has_disp = true;
				c->disp_params = d.nparams > 0;
			}
			mime_ctype_free(&d);
		}
	}
}

static int
nstr_field(struct buf *out, bool has, const struct mime_field *f,
    unsigned flags)
{
	if (!has)
		return buf_append(out, "NIL", 3);
	return imapstr_nstring_nolf(out, f->value, f->value_len, flags);
}

static int
str_(struct buf *out, const struct mime_str *s, unsigned flags)
{
	return imapstr_nstring(out, s->p ? s->p : "", s->len, flags);
}

static int
params_write(struct buf *out, const struct mime_ctype *ct, bool dflt_charset,
    unsigned flags)
{
	bool seen = false;
	if (ct == NULL || ct->nparams == 0) {
		if (!dflt_charset)
			return buf_append(out, "NIL", 3);
		return buf_append_str(out, "(\"charset\" \"us-ascii\")");
	}
	if (buf_append_byte(out, '(') < 0)
		return -1;
	for (size_t i = 0; i < ct->nparams; i++) {
		const struct mime_param *p = &ct->params[i];
		if (p->name.len == 7 && strncasecmp(p->name.p, "charset", 7) == 0)
			seen = true;
		if ((i > 0 && buf_append_byte(out, ' ') < 0) ||
		    str_(out, &p->name, flags) < 0 ||
		    buf_append_byte(out, ' ') < 0 ||
		    str_(out, &p->value, flags) < 0)
			return -1;
	}
	if (dflt_charset && !seen &&
	    buf_append_str(out, " \"charset\" \"us-ascii\"") < 0)
		return -1;
	return buf_append_byte(out, ')');
}

/* disposition, language, location: the tail every part shares */
static int
common_ext(struct buf *out, const struct cfields *c, unsigned flags)
{
	if (buf_append_byte(out, ' ') < 0)
		return -1;
	if (!c->has_disp) {
		if (buf_append(out, "NIL", 3) < 0)
			return -1;
	} else {
		struct mime_ctype d;
		mime_disposition_parse(&d, c->disp.value, c->disp.value_len);
		int r = (buf_append_byte(out, '(') < 0 ||
		    str_(out, &d.type, flags) < 0 ||
		    buf_append_byte(out, ' ') < 0 ||
		    params_write(out, &d, false, flags) < 0 ||
		    buf_append_byte(out, ')') < 0) ? -1 : 0;
		mime_ctype_free(&d);
		if (r < 0)
			return -1;
	}
	if (buf_append_byte(out, ' ') < 0)
		return -1;
	/* Content-Language: a list of atoms separated by commas */
	bool any = false;
	if (c->has_lang) {
		struct rfc822_cur cur;
		struct buf a = BUF_INIT(c->lang.value_len + 1);
		rfc822_init(&cur, c->lang.value, c->lang.value_len);
		(void)rfc822_skip_cfws(&cur);
		for (;;) {
			buf_reset(&a);
			if (!rfc822_more(&cur) || rfc822_atom(&cur, &a) < 0)
				break;
			if (buf_append_byte(out, any ? ' ' : '(') < 0 ||
			    imapstr_nstring(out, a.data, a.len, flags) < 0) {
				buf_free(&a);
				return -1;
			}
			any = true;
			if (!rfc822_more(&cur) || *cur.p != ',')
				break;
			cur.p++;
			(void)rfc822_skip_cfws(&cur);
		}
		buf_free(&a);
	}
	if (buf_append_str(out, any ? ")" : "NIL") < 0 ||
	    buf_append_byte(out, ' ') < 0)
		return -1;
	return nstr_field(out, c->has_loc, &c->loc, flags);
}

static int write_part(struct buf *out, const struct mime_msg *m, uint32_t pi,
    bool ext, unsigned flags);

static const char empty_body[] =
    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0";

static int
write_multipart(struct buf *out, const struct mime_msg *m, uint32_t pi,
    bool ext, unsigned flags, const struct cfields *c,
    const struct mime_ctype *ct)
{
	uint32_t ch = m->parts[pi].child;
	if (ch == MIME_NONE) {
		/* a multipart with no parts is not allowed: one empty part */
		if (buf_append_str(out, empty_body) < 0 ||
		    buf_append_str(out, ext ? " NIL NIL NIL NIL)" : ")") < 0)
			return -1;
	}
	for (; ch != MIME_NONE; ch = m->parts[ch].next)
		if (write_part(out, m, ch, ext, flags) < 0)
			return -1;
	if (buf_append_byte(out, ' ') < 0 || str_(out, &ct->subtype, flags) < 0)
		return -1;
	if (!ext)
		return 0;
	if (buf_append_byte(out, ' ') < 0 ||
	    params_write(out, ct, false, flags) < 0)
		return -1;
	return common_ext(out, c, flags);
}

static bool
valid_cte(const struct cfields *c, struct buf *tok)
{
	struct rfc822_cur cur;
	if (!c->has_cte)
		return false;
	rfc822_init(&cur, c->cte.value, c->cte.value_len);
	if (rfc822_skip_cfws(&cur) <= 0)
		return false;
	return rfc822_mime_token(&cur, tok) == 0 && tok->len > 0;
}

static int
write_leaf(struct buf *out, const struct mime_msg *m, uint32_t pi, bool ext,
    unsigned flags, const struct cfields *c, const struct mime_ctype *ct)
{
	const struct mime_part *p = &m->parts[pi];
	bool text = false;
	const struct mime_ctype *params = c->has_type ? ct : NULL;
	if (p->kind == MIME_MESSAGE) {
		if (buf_append_str(out, "\"message\" \"rfc822\"") < 0)
			return -1;
	} else if (p->flags & MIME_P_TRUNCATED ||
	    (!c->has_type && !(p->flags & MIME_P_TEXT))) {
		/* a limit stopped the parse here: say so, not a guess */
		if (buf_append_str(out, "\"application\" \"octet-stream\"") < 0)
			return -1;
	} else if (!c->has_type) {
		text = true;
		if (buf_append_str(out, "\"text\" \"plain\"") < 0)
			return -1;
	} else {
		text = (p->flags & MIME_P_TEXT) != 0;
		if (str_(out, &ct->type, flags) < 0 ||
		    buf_append_byte(out, ' ') < 0 ||
		    str_(out, &ct->subtype, flags) < 0)
			return -1;
	}
	struct buf tok = BUF_INIT(c->has_cte ? c->cte.value_len + 1 : 1);
	bool cte = valid_cte(c, &tok);
	int r = (buf_append_byte(out, ' ') < 0 ||
	    params_write(out, params, text, flags) < 0 ||
	    buf_append_byte(out, ' ') < 0 ||
	    nstr_field(out, c->has_id, &c->id, flags) < 0 ||
	    buf_append_byte(out, ' ') < 0 ||
	    nstr_field(out, c->has_desc, &c->desc, flags) < 0 ||
	    buf_append_byte(out, ' ') < 0 ||
	    (cte ? imapstr_nstring(out, tok.data, tok.len, flags) :
	    buf_append_str(out, "\"7bit\"")) < 0 ||
	    buf_printf(out, " %zu", p->end - p->body) < 0) ? -1 : 0;
	buf_free(&tok);
	if (r < 0)
		return -1;
	if (text) {
		if (buf_printf(out, " %u", mime_count_lines(m, p->body,
		    p->end)) < 0)
			return -1;
	} else if (p->kind == MIME_MESSAGE) {
		if (buf_append_byte(out, ' ') < 0 ||
		    mime_imap_envelope(out, m, p->child, flags) < 0 ||
		    buf_append_byte(out, ' ') < 0 ||
		    write_part(out, m, p->child, ext, flags) < 0 ||
		    buf_printf(out, " %u", mime_count_lines(m, p->body,
		    p->end)) < 0)
			return -1;
	}
	if (!ext)
		return 0;
	if (buf_append_byte(out, ' ') < 0 ||
	    nstr_field(out, c->has_md5, &c->md5, flags) < 0)
		return -1;
	return common_ext(out, c, flags);
}

static int
write_part(struct buf *out, const struct mime_msg *m, uint32_t pi, bool ext,
    unsigned flags)
{
	struct cfields c;
	struct mime_ctype ct;
	get_cfields(m, pi, &c);
	if (c.has_type)
		mime_ctype_parse(&ct, c.type.value, c.type.value_len);
	else
		mime_ctype_parse(&ct, (const uint8_t *)"", 0);
	int r = buf_append_byte(out, '(');
	if (r == 0 && m->parts[pi].kind == MIME_MULTIPART)
		r = write_multipart(out, m, pi, ext, flags, &c, &ct);
	else if (r == 0)
		r = write_leaf(out, m, pi, ext, flags, &c, &ct);
	if (r == 0)
		r = buf_append_byte(out, ')');
	mime_ctype_free(&ct);
	return r;
}

int
mime_imap_bodystructure(struct buf *out, const struct mime_msg *m,
    uint32_t part, bool extended, unsigned flags)
{
	if (mime_part(m, part) == NULL)
		return -1;
	return write_part(out, m, part, extended, flags);
}
