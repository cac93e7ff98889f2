/*
 * imap_client_data: capabilities, LIST entries, FETCH items and dates out
 * of a server's response tokens (imap_client_data.h).
 */
#include "imap_client_data.h"

#include <string.h>

#include "mime_index.h"
#include "store_proto.h"
#include "store_uses.h"

static const struct {
	const char *name;
	unsigned bit;
} caps[] = {
	{ "STARTTLS", IMAPC_CAP_STARTTLS },
	{ "LOGINDISABLED", IMAPC_CAP_LOGINDISABLED },
	{ "AUTH=PLAIN", IMAPC_CAP_AUTH_PLAIN },
	{ "SASL-IR", IMAPC_CAP_SASL_IR },
	{ "LIST-EXTENDED", IMAPC_CAP_LIST_EXTENDED },
	{ "SPECIAL-USE", IMAPC_CAP_SPECIAL_USE },
	{ "IMAP4rev1", IMAPC_CAP_IMAP4REV1 },
	{ "NAMESPACE", IMAPC_CAP_NAMESPACE },
};

unsigned
imapc_caps(const struct imapc_tok *t, size_t n)
{
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++)
			if (t[i].type == IMAPC_ATOM &&
			    imapc_is(t[i].p, t[i].len, caps[c].name))
				bits |= caps[c].bit;
	return bits;
}

/* LIST attributes besides the special uses (store_uses.h) */
static const struct store_use_name mbox_attrs[] = {
	{ "\\Noselect", STORE_MBOX_NOSELECT },
	{ "\\NonExistent", STORE_MBOX_NOSELECT | STORE_MBOX_NONEXISTENT },
};

static uint32_t
list_attr(const struct imapc_tok *t)
{
	if (t->type != IMAPC_ATOM)
		return 0;
	for (size_t a = 0; a < store_use_nnames; a++)
		if (imapc_is(t->p, t->len, store_use_names[a].attr))
			return store_use_names[a].bit;
	for (size_t a = 0; a < sizeof(mbox_attrs) / sizeof(mbox_attrs[0]); a++)
		if (imapc_is(t->p, t->len, mbox_attrs[a].attr))
			return mbox_attrs[a].bit;
	return 0;
}

int
imapc_list_parse(const struct imapc_resp *r, struct imapc_list *l)
{
	const struct imapc_tok *t = r->toks;
	if (r->ntoks < 4 || t[0].type != IMAPC_OPEN || t[0].close + 2 >= r->ntoks)
		return -1;
	l->attrs = 0;
	for (size_t i = 1; i < t[0].close; i++)
		l->attrs |= list_attr(&t[i]);
	const struct imapc_tok *d = &t[t[0].close + 1], *nm = d + 1;
	if (d->type == IMAPC_NIL)
		l->delim = 0;
	else if (d->type == IMAPC_STRING && d->len == 1)
		l->delim = d->p[0];
	else
		return -1;
	if (nm->type != IMAPC_STRING && nm->type != IMAPC_ATOM)
		return -1;
	l->name = nm->p;
	l->namelen = nm->len;
	return 0;
}

static const struct {
	const char *name;
	uint32_t bit;
} sysflags[] = {
	{ "\\Seen", STORE_FLAG_SEEN }, { "\\Answered", STORE_FLAG_ANSWERED },
	{ "\\Flagged", STORE_FLAG_FLAGGED }, { "\\Deleted", STORE_FLAG_DELETED },
	{ "\\Draft", STORE_FLAG_DRAFT },
};

static uint32_t
sysflag(const struct imapc_tok *t)
{
	for (size_t i = 0; i < sizeof(sysflags) / sizeof(sysflags[0]); i++)
		if (imapc_is(t->p, t->len, sysflags[i].name))
			return sysflags[i].bit;
	return 0;
}

/* RFC 3501 atom characters, and no leading backslash: a keyword. */
static bool
keyword_ok(const struct imapc_tok *t)
{
	if (t->type != IMAPC_ATOM || t->len == 0 || t->len > 255 ||
	    t->p[0] == '\\')
		return false;
	for (size_t i = 0; i < t->len; i++) {
		unsigned char c = (unsigned char)t->p[i];
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c))
			return false;
	}
	return true;
}

static int
flags_item(const struct imapc_tok *t, size_t i, size_t end,
    struct imapc_fetch *f)
{
	if (t[i].type != IMAPC_OPEN || t[i].close >= end)
		return -1;
	f->has_flags = true;
	f->flags_at = i;
	f->flags = 0;
	for (size_t k = i + 1; k < t[i].close; k++)
		if (t[k].type == IMAPC_ATOM)
			f->flags |= sysflag(&t[k]);
	return 0;
}

static int
item(const struct imapc_tok *t, size_t i, size_t end, struct imapc_fetch *f)
{
	const struct imapc_tok *n = &t[i - 1], *v = &t[i];
	if (imapc_is(n->p, n->len, "UID")) {
		f->has_uid = imapc_u32(v, &f->uid) == 0 && f->uid != 0;
		return f->has_uid ? 0 : -1;
	}
	if (imapc_is(n->p, n->len, "FLAGS"))
		return flags_item(t, i, end, f);
	if (imapc_is(n->p, n->len, "INTERNALDATE")) {
		f->has_date = v->type == IMAPC_STRING &&
		    imapc_date_parse(v->p, v->len, &f->date) == 0;
		return f->has_date ? 0 : -1;
	}
	if (imapc_is(n->p, n->len, "RFC822.SIZE")) {
		uint32_t s;
		f->has_size = imapc_u32(v, &s) == 0;
		f->size = s;
		return f->has_size ? 0 : -1;
	}
	if (imapc_is(n->p, n->len, "BODY[]")) {
		/* nstring: a server may send NIL for a message another
		 * session expunged meanwhile; no body, as if not sent */
		if (v->type == IMAPC_NIL)
			return 0;
		if (v->type != IMAPC_STRING)
			return -1;
		f->has_body = true;
		f->body = v->p;
		f->bodylen = v->len;
	}
	return 0;
}

int
imapc_fetch_parse(const struct imapc_resp *r, struct imapc_fetch *f)
{
	memset(f, 0, sizeof(*f));
	const struct imapc_tok *t = r->toks;
	if (r->ntoks < 2 || t[0].type != IMAPC_OPEN || t[0].close != r->ntoks - 1)
		return -1;
	size_t end = t[0].close;
	for (size_t i = 1; i < end; ) {
		if (t[i].type != IMAPC_ATOM || i + 1 >= end ||
		    item(t, i + 1, end, f) < 0)
			return -1;
		i += 2;
		if (t[i - 1].type == IMAPC_OPEN)
			i = t[i - 1].close + 1;
	}
	return 0;
}

const struct imapc_tok *
imapc_fetch_keyword(const struct imapc_resp *r, const struct imapc_fetch *f,
    size_t k)
{
	if (!f->has_flags)
		return NULL;
	const struct imapc_tok *t = r->toks;
	for (size_t i = f->flags_at + 1; i < t[f->flags_at].close; i++)
		if (keyword_ok(&t[i]) && k-- == 0)
			return &t[i];
	return NULL;
}

/* One namespace group at t[i] (NIL or a list of (prefix delim ...));
 * the index after it, or 0 if malformed. Entries go to out[*n]. */
static size_t
ns_group(const struct imapc_tok *t, size_t i, size_t end,
    struct imapc_ns_entry *out, size_t max, size_t *n)
{
	if (i >= end)
		return 0;
	if (t[i].type == IMAPC_NIL)
		return i + 1;
	if (t[i].type != IMAPC_OPEN || t[i].close >= end)
		return 0;
	for (size_t k = i + 1; k < t[i].close; k = t[k].close + 1) {
		if (t[k].type != IMAPC_OPEN || k + 2 >= t[k].close ||
		    t[k + 1].type != IMAPC_STRING ||
		    (t[k + 2].type != IMAPC_NIL && (t[k + 2].type !=
		    IMAPC_STRING || t[k + 2].len != 1)))
			return 0;
		if (*n < max) {
			out[*n].prefix = t[k + 1].p;
			out[*n].len = t[k + 1].len;
			out[*n].delim = t[k + 2].type == IMAPC_NIL ? 0 :
			    t[k + 2].p[0];
			++*n;
		}
	}
	return t[i].close + 1;
}

int
imapc_namespace_parse(const struct imapc_resp *r, struct imapc_ns *ns)
{
	memset(ns, 0, sizeof(*ns));
	size_t np = 0, i = ns_group(r->toks, 0, r->ntoks, &ns->personal, 1, &np);
	ns->has_personal = np == 1;
	for (int g = 0; g < 2 && i != 0; g++)
		i = ns_group(r->toks, i, r->ntoks, ns->others, IMAPC_NS_MAX,
		    &ns->nothers);
	return i != 0 && i == r->ntoks ? 0 : -1;
}

/* An IMAP date-time is an RFC 5322 one with '-' in its date: the MIME
 * code's parser reads it once they are spaces. */
int
imapc_date_parse(const char *p, size_t n, int64_t *out)
{
	char d[26];
	int32_t tz;
	if (n != sizeof(d) || p[2] != '-' || p[6] != '-' || p[11] != ' ' ||
	    p[20] != ' ')
		return -1;
	memcpy(d, p, n);
	d[2] = d[6] = ' ';
	return mime_date_parse((const uint8_t *)d, n, out, &tz) < 0 ? -1 : 0;
}
