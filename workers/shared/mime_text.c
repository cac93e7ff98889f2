/* mime_text: search text of a message (see mime_index.h). */
#include "mime_index.h"

#include <string.h>
#include <strings.h>

#include "charset.h"
#include "mime_decode.h"
#include "rfc2047.h"

/* Append s to out within cap, cutting at a character boundary. Returns 1
 * when out is at its cap (stop), 0 otherwise, -1 on allocation failure. */
static int
put_capped(struct buf *out, size_t base, size_t cap, const uint8_t *s,
    size_t n)
{
	size_t used = out->len - base;
	size_t room = cap > used ? cap - used : 0;
	bool full = n >= room;
	if (n > room) {
		n = room;
		while (n > 0 && (s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0 && buf_append(out, s, n) < 0)
		return -1;
	return full ? 1 : 0;
}

int
mime_header_text(const struct mime_msg *m, uint32_t part, struct buf *out,
    size_t cap)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	size_t base = out->len;
	mime_hdr_init_part(&it, m, part);
	while (mime_hdr_next(&it, &f)) {
		if (f.name_len == 0)
			continue;
		struct buf t = BUF_INIT(f.name_len + f.value_len * 4 + 64);
		charset_utf8_sanitize(&t, f.name, f.name_len);
		buf_append(&t, ": ", 2);
		rfc2047_decode(&t, f.value, f.value_len);
		buf_append_byte(&t, '\n');
		int r = t.failed ? 0 : put_capped(out, base, cap, t.data, t.len);
		buf_free(&t);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	return 0;
}

/* ---------------------------------------------------------------- HTML */

struct entity {
	const char *name;
	const char *utf8;
};

static const struct entity entities[] = {
	{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" },
	{ "apos", "'" }, { "nbsp", " " }, { "copy", "\xc2\xa9" },
	{ "reg", "\xc2\xae" }, { "euro", "\xe2\x82\xac" },
	{ "hellip", "\xe2\x80\xa6" }, { "mdash", "\xe2\x80\x94" },
	{ "ndash", "\xe2\x80\x93" }, { "laquo", "\xc2\xab" },
	{ "raquo", "\xc2\xbb" }, { "shy", "" },
};

static void
put_codepoint(struct buf *o, uint32_t cp)
{
	uint8_t u[4];
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		buf_append_byte(o, (uint8_t)cp);
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xc0 | cp >> 6);
		u[1] = (uint8_t)(0x80 | (cp & 0x3f));
		buf_append(o, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xe0 | cp >> 12);
		u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (uint8_t)(0x80 | (cp & 0x3f));
		buf_append(o, u, 3);
	} else {
		u[0] = (uint8_t)(0xf0 | cp >> 18);
		u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (uint8_t)(0x80 | (cp & 0x3f));
		buf_append(o, u, 4);
	}
}

/* "&...;" at s[i]: append its text, return bytes used (0: not one) */
static size_t
entity(struct buf *o, const uint8_t *s, size_t n, size_t i)
{
	size_t j = i + 1;
	while (j < n && j - i < 12 && s[j] != ';' && s[j] != '&' &&
	    s[j] != '<' && s[j] != ' ')
		j++;
	if (j >= n || s[j] != ';')
		return 0;
	const char *name = (const char *)s + i + 1;
	size_t len = j - i - 1;
	if (len >= 2 && name[0] == '#') {
		uint32_t cp = 0;
		bool hex = name[1] == 'x' || name[1] == 'X';
		for (size_t k = hex ? 2 : 1; k < len; k++) {
			int d = name[k] >= '0' && name[k] <= '9' ? name[k] - '0' :
			    hex && (name[k] | 0x20) >= 'a' &&
			    (name[k] | 0x20) <= 'f' ? (name[k] | 0x20) - 'a' + 10 :
			    -1;
			if (d < 0 || cp > 0x10ffff)
				return 0;
			cp = cp * (hex ? 16 : 10) + (uint32_t)d;
		}
		put_codepoint(o, cp);
		return j + 1 - i;
	}
	for (size_t e = 0; e < sizeof(entities) / sizeof(entities[0]); e++)
		if (strlen(entities[e].name) == len &&
		    memcmp(entities[e].name, name, len) == 0) {
			buf_append_str(o, entities[e].utf8);
			return j + 1 - i;
		}
	return 0;
}

/* tags whose content is not text, and tags that break a line */
static bool
tag_is(const uint8_t *t, size_t n, const char *const *names)
{
	for (; *names != NULL; names++) {
		size_t l = strlen(*names);
		if (n == l && strncasecmp((const char *)t, *names, l) == 0)
			return true;
	}
	return false;
}

static const char *const skip_tags[] = { "script", "style", "head",
	"title", NULL };
static const char *const block_tags[] = { "br", "p", "div", "tr", "li",
	"h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr",
	"blockquote", "pre", "td", "th", "dt", "dd", NULL };

/* Crude on purpose: tags go, the text between them stays, script and
 * style content goes, entities decode, block tags become line breaks. */
static void
html_to_text(struct buf *o, const uint8_t *s, size_t n)
{
	size_t i = 0;
	const char *skip_until = NULL;   /* inside <script> etc. */
	size_t run = 0;
	while (i < n) {
		uint8_t c = s[i];
		if (c != '<' && c != '&') {
			i++;
			continue;
		}
		if (skip_until == NULL)
			buf_append(o, s + run, i - run);
		if (c == '&') {
			size_t used = skip_until ? 0 : entity(o, s, n, i);
			if (used == 0) {
				if (skip_until == NULL)
					buf_append_byte(o, '&');
				used = 1;
			}
			i += used;
			run = i;
			continue;
		}
		/* a tag, a comment or a declaration */
		size_t j;
		if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
			const uint8_t *e = memmem(s + i + 4, n - i - 4, "-->", 3);
			j = e ? (size_t)(e - s) + 3 : n;
			i = run = j;
			continue;
		}
		const uint8_t *gt = memchr(s + i, '>', n - i);
		j = gt ? (size_t)(gt - s) + 1 : n;
		size_t k = i + 1;
		bool closing = k < n && s[k] == '/';
		if (closing)
			k++;
		size_t ns = k;
		while (k < j && (((s[k] | 0x20) >= 'a' && (s[k] | 0x20) <= 'z') ||
		    (s[k] >= '0' && s[k] <= '9')))
			k++;
		const uint8_t *name = s + ns;
		size_t nl = k - ns;
		if (skip_until != NULL) {
			if (closing && strlen(skip_until) == nl &&
			    strncasecmp((const char *)name, skip_until, nl) == 0)
				skip_until = NULL;
		} else if (!closing && tag_is(name, nl, skip_tags)) {
			for (const char *const *t = skip_tags; *t; t++)
				if (strlen(*t) == nl && strncasecmp(*t,
				    (const char *)name, nl) == 0)
					skip_until = *t;
		} else if (tag_is(name, nl, block_tags)) {
			buf_append_byte(o, '\n');
		}
		i = run = j;
	}
	if (skip_until == NULL)
		buf_append(o, s + run, n - run);
}

/* ---------------------------------------------------------------- parts */

static bool
charset_of(const struct mime_msg *m, uint32_t pi, char *cs, size_t cssz)
{
	struct mime_field f;
	struct mime_ctype ct;
	cs[0] = '\0';
	if (!(m->parts[pi].flags & MIME_P_IS_MIME) ||
	    !mime_hdr_find(m, pi, "Content-Type", &f))
		return false;
	mime_ctype_parse(&ct, f.value, f.value_len);
	const struct mime_str *v = mime_param_get(&ct, "charset");
	bool ok = v != NULL && buf_strlcpy(cs, cssz, v->p, v->len) == 0;
	mime_ctype_free(&ct);
	if (!ok)
		cs[0] = '\0';
	return ok;
}

static int
part_text(const struct mime_msg *m, uint32_t pi, struct buf *out,
    size_t base, size_t cap)
{
	const struct mime_part *p = &m->parts[pi];
	char type[32], sub[32], cs[64];
	mime_part_type(m, pi, type, sizeof(type), sub, sizeof(sub));
	size_t room = cap - (out->len - base);
	/* input that can yield at most what fits: decoding shrinks,
	 * conversion grows at most 4x */
	size_t in = p->end - p->body;
	size_t want = room * 4 + 64;
	if (in > want)
		in = want;
	enum mime_cte cte = mime_part_cte(m, pi);
	if (cte == MIME_CTE_UNKNOWN)
		return 0;
	struct buf dec = BUF_INIT(in + 4);
	struct buf utf = BUF_INIT(in * 4 + 64);
	struct buf txt = BUF_INIT(in * 4 + 64);
	int r = 0;
	if (mime_cte_decode(&dec, cte, m->data + p->body, in) < 0)
		goto done;
	charset_of(m, pi, cs, sizeof(cs));
	if (charset_to_utf8(&utf, cs[0] ? cs : NULL, strlen(cs),
	    dec.data ? dec.data : (const uint8_t *)"", dec.len) < 0)
		goto done;
	const struct buf *t = &utf;
	if (strcmp(sub, "html") == 0) {
		html_to_text(&txt, utf.data ? utf.data : (const uint8_t *)"",
		    utf.len);
		t = &txt;
	}
	if (out->len > base)
		r = put_capped(out, base, cap, (const uint8_t *)"\n", 1);
	if (r == 0 && t->len > 0)
		r = put_capped(out, base, cap, t->data, t->len);
done:
	buf_free(&dec);
	buf_free(&utf);
	buf_free(&txt);
	return r;
}

int
mime_text_extract(const struct mime_msg *m, struct buf *out, size_t cap)
{
	size_t base = out->len;
	for (uint32_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = &m->parts[i];
		int r = 0;
		if (i > 0 && p->parent != MIME_NONE &&
		    m->parts[p->parent].kind == MIME_MESSAGE) {
			/* an enclosed message: its header is text too */
			if (out->len > base)
				r = put_capped(out, base, cap,
				    (const uint8_t *)"\n", 1);
			if (r == 0 && mime_header_text(m, i, out,
			    cap - (out->len - base)) < 0)
				return -1;
			if (out->len - base >= cap)
				return 0;
		}
		if (p->kind == MIME_LEAF && (p->flags & MIME_P_TEXT))
			r = part_text(m, i, out, base, cap);
		if (r < 0)
			return -1;
		if (r > 0 || out->len - base >= cap)
			return 0;
	}
	return 0;
}
