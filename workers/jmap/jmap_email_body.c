/* jmap_email_body: body parts, body values, sender and replyTo. */
#include "jmap_email_body.h"
#include "jmap_blob.h"
#include "jmap_email_addr.h"
#include "jmap_email_header.h"
#include "jmap_internal.h"

#include "charset.h"
#include "mime.h"
#include "rfc2047.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VALUE_MAX (16u * 1024 * 1024)   /* bytes of one decoded value */
#define NAME_MAX_BYTES 1024

static const char *const body_props[] = {
	"bodyStructure", "textBody", "htmlBody", "attachments", "bodyValues",
	"sender", "replyTo", NULL,
};

bool
jmap_body_wanted(json_t *props)
{
	const char *k;
	json_t *v;
	for (const char *const *p = body_props; *p != NULL; p++)
		if (json_object_get(props, *p) != NULL)
			return true;
	json_object_foreach(props, k, v)
		if (jmap_header_prop_ok(k))
			return true;
	return false;
}

static const char *const part_known[] = {
	"partId", "blobId", "size", "name", "type", "charset", "disposition",
	"cid", "language", "location", "subParts", "headers", NULL,
};

/* bodyProperties: the part properties and header forms, as a set. */
static bool
part_props(json_t *list, struct jmap_body_args *ba)
{
	size_t i;
	json_t *v;
	ba->part_props = NULL;
	if (list == NULL || json_is_null(list))
		return true;
	if (!json_is_array(list))
		return false;
	ba->part_props = json_object();
	json_array_foreach(list, i, v) {
		const char *p = json_string_value(v);
		bool ok = p != NULL && jmap_header_prop_ok(p);
		for (size_t k = 0; p != NULL && !ok && part_known[k]; k++)
			ok = strcmp(p, part_known[k]) == 0;
		if (!ok) {
			jmap_body_args_free(ba);
			return false;
		}
		json_object_set_new(ba->part_props, p, json_true());
	}
	return true;
}

bool
jmap_body_args_parse(json_t *args, struct jmap_body_args *ba)
{
	static const char *const flags[] = { "fetchTextBodyValues",
	    "fetchHTMLBodyValues", "fetchAllBodyValues" };
	bool *dst[] = { &ba->text_values, &ba->html_values, &ba->all_values };
	for (size_t i = 0; i < 3; i++) {
		json_t *v = json_object_get(args, flags[i]);
		if (v != NULL && !json_is_boolean(v))
			return false;
		*dst[i] = json_is_true(v);
	}
	json_t *m = json_object_get(args, "maxBodyValueBytes");
	if (m != NULL && (!json_is_integer(m) || json_integer_value(m) < 0))
		return false;
	ba->max_value_bytes = m ? (size_t)json_integer_value(m) : 0;
	ba->budget = JMAP_MAX_RESPONSE;
	return part_props(json_object_get(args, "bodyProperties"), ba);
}

void
jmap_body_args_free(struct jmap_body_args *ba)
{
	json_decref(ba->part_props);
	ba->part_props = NULL;
}

/* ---- one part ------------------------------------------------------------------- */

struct ctx {
	const struct mime_msg *m;
	struct jmap_body_args *ba;
	json_t *values;                  /* bodyValues */
	bool over;                       /* a value passed the budget */
};

static json_t *
str_or_null(const struct mime_str *s)
{
	json_t *j = s && s->p && s->len ? json_stringn(s->p, s->len) : NULL;
	return j ? j : json_null();
}

/* A header value RFC 2047-decoded, as a JSON string or null. */
static json_t *
decoded(const uint8_t *v, size_t n)
{
	struct buf b = BUF_INIT(NAME_MAX_BYTES * 4);
	json_t *j = NULL;
	if (rfc2047_decode(&b, v, n) == 0 && !b.failed && b.len > 0)
		j = json_stringn((const char *)b.data, b.len);
	buf_free(&b);
	return j ? j : json_null();
}

/* name: the disposition's filename, else the type's name parameter. */
static json_t *
part_name(const struct mime_ctype *ct, const struct mime_ctype *disp)
{
	const struct mime_str *n = mime_param_get(disp, "filename");
	if (n == NULL)
		n = mime_param_get(ct, "name");
	if (n == NULL || n->p == NULL)
		return json_null();
	return decoded((const uint8_t *)n->p, n->len);
}

/* RFC 8621 4.1.4: the size of the part once its transfer encoding is
 * undone, the bytes its blob downloads as; so decoded the same way (an
 * estimate from the encoded length is off by the line ends and padding).
 * Decoding never grows a part (base64 reserves 3 bytes of slack), so the
 * buffer is bounded by its length. */
static size_t
decoded_size(const struct mime_msg *m, uint32_t i)
{
	const struct mime_part *p = mime_part(m, i);
	size_t n = p->end - p->body;
	enum mime_cte cte = mime_part_cte(m, i);
	if (cte != MIME_CTE_BASE64 && cte != MIME_CTE_QP)
		return n;
	struct buf out = BUF_INIT(n + 4);
	bool unknown = false;
	size_t size = mime_part_decode(m, i, &out, &unknown) == 0 ? out.len : n;
	buf_free(&out);
	return size;
}

/* The EmailBodyPart of part i (without subParts). */
static json_t *
part_json(const struct mime_msg *m, uint32_t i, const uint8_t *blobid)
{
	char type[128], sub[128], full[260], id[16];
	struct mime_ctype ct, disp;
	struct mime_field f;
	memset(&ct, 0, sizeof(ct));
	memset(&disp, 0, sizeof(disp));
	mime_part_type(m, i, type, sizeof(type), sub, sizeof(sub));
	snprintf(full, sizeof(full), "%s/%s", type, sub);
	if (mime_hdr_find(m, i, "Content-Type", &f))
		mime_ctype_parse(&ct, f.value, f.value_len);
	if (mime_hdr_find(m, i, "Content-Disposition", &f))
		mime_disposition_parse(&disp, f.value, f.value_len);
	snprintf(id, sizeof(id), "%u", i + 1);
	json_t *cs = str_or_null(mime_param_get(&ct, "charset"));
	if (json_is_null(cs) && strcasecmp(type, "text") == 0)
		cs = json_string("us-ascii");
	json_t *cid = json_null();
	if (mime_hdr_find(m, i, "Content-ID", &f)) {
		json_t *ids = jmap_msgid_list((const char *)f.value, f.value_len);
		json_decref(cid);
		cid = json_incref(json_array_get(ids, 0));
		json_decref(ids);
		if (cid == NULL)
			cid = json_null();
	}
	char blob[JMAP_BLOBID_MAX];
	bool leaf = m->parts[i].kind != MIME_MULTIPART && blobid != NULL;
	if (leaf)
		jmap_blobid_fmt(blob, blobid, i + 1);
	json_t *o = json_pack("{ss ss? sI so ss so so so sn sn}", "partId", id,
	    "blobId", leaf ? blob : NULL, "size", (json_int_t)(m->parts[i].kind != MIME_MULTIPART ?
	    decoded_size(m, i) : 0), "name", part_name(&ct, &disp),
	    "type", full, "charset", cs,
	    "disposition", str_or_null(&disp.type), "cid", cid,
	    "language", "location");
	mime_ctype_free(&ct);
	mime_ctype_free(&disp);
	return o;
}

static json_t *
structure(const struct mime_msg *m, uint32_t i, const struct jmap_body_args *ba,
    unsigned depth)
{
	json_t *o = part_json(m, i, ba->blobid);
	const struct mime_part *p = mime_part(m, i);
	if (o == NULL || p->kind != MIME_MULTIPART || depth > 64)
		return o;
	json_t *subs = json_array();
	for (uint32_t c = p->child; c != MIME_NONE && subs != NULL;
	    c = m->parts[c].next)
		json_array_append_new(subs, structure(m, c, ba, depth + 1));
	json_object_set_new(o, "subParts", subs);
	return o;
}

/* ---- textBody, htmlBody, attachments (RFC 8621 section 4.1.4) ------------------- */

static bool
type_is(json_t *part, const char *t)
{
	const char *v = json_string_value(json_object_get(part, "type"));
	return v != NULL && strcasecmp(v, t) == 0;
}

static bool
inline_media(json_t *part)
{
	const char *v = json_string_value(json_object_get(part, "type"));
	return v != NULL && (strncasecmp(v, "image/", 6) == 0 ||
	    strncasecmp(v, "audio/", 6) == 0 || strncasecmp(v, "video/", 6) == 0);
}

static void parse_structure(json_t *parts, const char *mtype, bool in_alt,
    json_t *html, json_t *text, json_t *att, unsigned depth);

static void
leaf_inline(json_t *part, const char *mtype, bool in_alt, json_t *html,
    json_t *text, json_t *att)
{
	if (strcasecmp(mtype, "alternative") == 0) {
		json_array_append(type_is(part, "text/plain") ? text :
		    type_is(part, "text/html") ? html : att, part);
		return;
	}
	if (in_alt && type_is(part, "text/plain"))
		html = NULL;
	if (in_alt && type_is(part, "text/html"))
		text = NULL;
	if (text != NULL)
		json_array_append(text, part);
	if (html != NULL)
		json_array_append(html, part);
	if ((text == NULL || html == NULL) && inline_media(part))
		json_array_append(att, part);
}

static void
parse_structure(json_t *parts, const char *mtype, bool in_alt, json_t *html,
    json_t *text, json_t *att, unsigned depth)
{
	size_t tlen = json_array_size(text), hlen = json_array_size(html);
	size_t i;
	json_t *part;
	json_array_foreach(parts, i, part) {
		const char *type = json_string_value(json_object_get(part, "type"));
		const char *disp = json_string_value(json_object_get(part,
		    "disposition"));
		bool multi = type != NULL && strncasecmp(type, "multipart/", 10) == 0;
		bool is_inline = (disp == NULL || strcasecmp(disp, "attachment")) &&
		    (type_is(part, "text/plain") || type_is(part, "text/html") ||
		    inline_media(part)) && (i == 0 ||
		    (strcasecmp(mtype, "related") != 0 && (inline_media(part) ||
		    json_is_null(json_object_get(part, "name")))));
		if (multi && depth < 64) {
			const char *sub = type + 10;
			parse_structure(json_object_get(part, "subParts"), sub,
			    in_alt || strcasecmp(sub, "alternative") == 0, html,
			    text, att, depth + 1);
		} else if (is_inline) {
			leaf_inline(part, mtype, in_alt, html, text, att);
		} else if (!multi) {
			json_array_append(att, part);
		}
	}
	if (strcasecmp(mtype, "alternative") != 0)
		return;
	/* one side had nothing of its own here: it shows the other's */
	if (tlen == json_array_size(text) && hlen != json_array_size(html))
		for (size_t k = hlen; k < json_array_size(html); k++)
			json_array_append(text, json_array_get(html, k));
	if (hlen == json_array_size(html) && tlen != json_array_size(text))
		for (size_t k = tlen; k < json_array_size(text); k++)
			json_array_append(html, json_array_get(text, k));
}

/* ---- bodyValues -------------------------------------------------------------------- */

/* The longest prefix of p (n bytes of UTF-8) within max bytes. */
static size_t
utf8_cut(const uint8_t *p, size_t n, size_t max)
{
	size_t i = 0;
	while (i < n) {
		size_t k = charset_utf8_len(p + i, n - i);
		if (k == 0)
			k = 1;
		if (i + k > max)
			break;
		i += k;
	}
	return i;
}

static void
add_value(struct ctx *x, json_t *part)
{
	const char *id = json_string_value(json_object_get(part, "partId"));
	const char *cs = json_string_value(json_object_get(part, "charset"));
	if (id == NULL || json_object_get(x->values, id) != NULL)
		return;
	uint32_t i = (uint32_t)strtoul(id, NULL, 10) - 1;
	struct buf raw = BUF_INIT(VALUE_MAX), text = BUF_INIT(VALUE_MAX * 2);
	bool unknown = false;
	bool problem = mime_part_decode(x->m, i, &raw, &unknown) < 0 || unknown;
	if (charset_to_utf8(&text, cs ? cs : "us-ascii", cs ? strlen(cs) : 8,
	    raw.data ? raw.data : (const uint8_t *)"", raw.len) < 0)
		problem = true;
	size_t n = text.len;
	bool cut = x->ba->max_value_bytes && n > x->ba->max_value_bytes;
	if (cut)
		n = utf8_cut(text.data, n, x->ba->max_value_bytes);
	if (n > x->ba->budget) {
		x->over = true;
		n = 0;
	}
	x->ba->budget -= n;
	json_t *v = json_stringn(text.data ? (const char *)text.data : "", n);
	json_object_set_new(x->values, id, json_pack("{sosbsb}", "value",
	    v ? v : json_string(""), "isEncodingProblem", problem,
	    "isTruncated", cut));
	buf_free(&raw);
	buf_free(&text);
}

static void
add_values(struct ctx *x, json_t *list, bool text_only)
{
	size_t i;
	json_t *part;
	json_array_foreach(list, i, part) {
		const char *t = json_string_value(json_object_get(part, "type"));
		if (!text_only || (t && strncasecmp(t, "text/", 5) == 0))
			add_value(x, part);
	}
}

/* Every leaf of the structure, in order. */
static void
leaves(json_t *part, json_t *out, unsigned depth)
{
	json_t *subs = json_object_get(part, "subParts");
	size_t i;
	json_t *p;
	if (subs == NULL || depth > 64) {
		json_array_append(out, part);
		return;
	}
	json_array_foreach(subs, i, p)
		leaves(p, out, depth + 1);
}

/* ---- bodyProperties ---------------------------------------------------------------- */

/* Every part of the tree: the headers asked for added, the properties
 * not asked for dropped (subParts stays: it is the tree). The lists
 * share these objects, so they follow. */
static void
filter_tree(json_t *o, const struct mime_msg *m, json_t *want,
    unsigned depth)
{
	const char *k;
	json_t *v;
	void *tmp;
	size_t i;
	const char *id = json_string_value(json_object_get(o, "partId"));
	if (id == NULL || depth > 64)
		return;
	jmap_headers_add(o, m, (uint32_t)strtoul(id, NULL, 10) - 1, want);
	json_array_foreach(json_object_get(o, "subParts"), i, v)
		filter_tree(v, m, want, depth + 1);
	json_object_foreach_safe(o, tmp, k, v)
		if (json_object_get(want, k) == NULL && strcmp(k, "subParts"))
			json_object_del(o, k);
}

/* ---- the properties ------------------------------------------------------------------ */

static json_t *
addr_header(const struct mime_msg *m, const char *name)
{
	struct mime_field f;
	if (!mime_hdr_find(m, 0, name, &f))
		return json_null();
	struct buf b = BUF_INIT(64 * 1024);
	json_t *a = NULL;
	if (rfc2047_decode(&b, f.value, f.value_len) == 0 && !b.failed)
		a = jmap_addr_list((const char *)b.data, b.len);
	buf_free(&b);
	return a ? a : json_null();
}

int
jmap_body_add(json_t *obj, const uint8_t *data, size_t len,
    struct jmap_body_args *ba)
{
	struct mime_msg m;
	if (mime_parse(&m, data, len, NULL) < 0)
		return -1;
	json_t *root = structure(&m, 0, ba, 0);
	json_t *text = json_array(), *html = json_array(), *att = json_array();
	json_t *one = json_pack("[O]", root);
	struct ctx x = { &m, ba, json_object(), false };
	parse_structure(one, "mixed", false, html, text, att, 0);
	if (ba->text_values)
		add_values(&x, text, true);
	if (ba->html_values)
		add_values(&x, html, true);
	if (ba->all_values) {
		json_t *all = json_array();
		leaves(root, all, 0);
		add_values(&x, all, true);
		json_decref(all);
	}
	json_object_set_new(obj, "bodyStructure", root);
	json_object_set_new(obj, "textBody", text);
	json_object_set_new(obj, "htmlBody", html);
	json_object_set_new(obj, "attachments", att);
	json_object_set_new(obj, "bodyValues", x.values);
	json_object_set_new(obj, "sender", addr_header(&m, "Sender"));
	json_object_set_new(obj, "replyTo", addr_header(&m, "Reply-To"));
	jmap_headers_add(obj, &m, 0, ba->props);
	if (ba->part_props != NULL)
		filter_tree(root, &m, ba->part_props, 0);
	json_decref(one);
	mime_free(&m);
	return x.over ? -2 : 0;
}
