/* jmap_build_body: the MIME tree of a built message from an
 * EmailBodyPart structure (RFC 8621 section 4.1.4): multiparts with
 * random boundaries, text parts from bodyValues as UTF-8 (7bit or
 * quoted-printable), blob parts as base64 (message/rfc822 as it is). */
#include "jmap_build_int.h"

#include <string.h>
#include <strings.h>

static bool
token_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("!#$&-^_.+", *p)))
			return false;
	return true;
}

/* "type/subtype" of tokens. */
static bool
type_ok(const char *s)
{
	const char *sl = s ? strchr(s, '/') : NULL;
	char major[64];
	if (sl == NULL || (size_t)(sl - s) >= sizeof(major))
		return false;
	memcpy(major, s, (size_t)(sl - s));
	major[sl - s] = '\0';
	return token_ok(major, 63) && token_ok(sl + 1, 120);
}

static const char *
prop_str(json_t *part, const char *k)
{
	return json_string_value(json_object_get(part, k));
}

/* Properties a part in a create may have (RFC 8621 section 4.6). */
static bool
part_props_ok(json_t *part)
{
	static const char *const known[] = { "partId", "blobId", "size",
	    "headers", "name", "type", "charset", "disposition", "cid",
	    "language", "location", "subParts", NULL };
	const char *k;
	json_t *v;
	json_object_foreach(part, k, v) {
		bool ok = strncmp(k, "header:", 7) == 0;
		for (size_t i = 0; !ok && known[i]; i++)
			ok = strcmp(k, known[i]) == 0;
		if (!ok || strcmp(k, "headers") == 0)
			return false;
		if (strcmp(k, "subParts") != 0 && strcmp(k, "language") != 0 &&
		    strncmp(k, "header:", 7) != 0 && strcmp(k, "size") != 0 &&
		    !json_is_string(v) && !json_is_null(v))
			return false;
	}
	return true;
}

static int
boundary(struct bx *x, char *b, size_t n)
{
	struct buf h = BUF_INIT(64);
	enc_hex(&h, x->env->random, 12);
	int r = buf_snprintf(b, n, "=_%.*s_%u", (int)h.len,
	    (const char *)h.data, x->nboundary++);
	buf_free(&h);
	return r;
}

static int
multipart(struct bx *x, json_t *part, const char *type, unsigned depth)
{
	json_t *subs = json_object_get(part, "subParts"), *sp;
	char b[64];
	size_t i;
	if (!json_is_array(subs) || json_array_size(subs) == 0 ||
	    prop_str(part, "partId") || prop_str(part, "blobId") ||
	    depth >= BUILD_MAX_DEPTH || boundary(x, b, sizeof(b)) < 0)
		return bx_fail(x, "invalidProperties", "bodyStructure");
	buf_printf(x->out, "Content-Type: %s;\r\n boundary=\"%s\"\r\n\r\n",
	    type, b);
	json_array_foreach(subs, i, sp) {
		buf_printf(x->out, "--%s\r\n", b);
		if (body_part(x, sp, depth + 1) < 0)
			return -1;
		buf_append(x->out, "\r\n", 2);
	}
	buf_printf(x->out, "--%s--\r\n", b);
	return x->out->failed ? bx_fail(x, "tooLarge", NULL) : 0;
}

/* The content of a leaf into raw; a blob's own type into btype. */
static int
leaf_content(struct bx *x, json_t *part, struct buf *raw, bool *text,
    char btype[128])
{
	const char *pid = prop_str(part, "partId"), *bid = prop_str(part, "blobId");
	if ((pid == NULL) == (bid == NULL))
		return bx_fail(x, "invalidProperties", "bodyStructure");
	if (pid != NULL) {
		json_t *bv = json_object_get(x->body_values, pid);
		const char *v = prop_str(bv, "value");
		json_t *ep = json_object_get(bv, "isEncodingProblem"),
		    *tr = json_object_get(bv, "isTruncated");
		if (v == NULL || (ep && !json_is_false(ep)) ||
		    (tr && !json_is_false(tr)) || prop_str(part, "charset"))
			return bx_fail(x, "invalidProperties", "bodyValues");
		*text = true;
		return enc_crlf(raw, (const uint8_t *)v, strlen(v)) < 0 ?
		    bx_fail(x, "tooLarge", NULL) : 0;
	}
	struct jmap_build_blob blob = { 0 };
	int rc = x->env->blob ? x->env->blob(x->env->blob_arg, bid, &blob) :
	    JMAP_BLOB_NOTFOUND;
	if (rc == JMAP_BLOB_NOTFOUND) {
		buf_strlcpy(x->err->blobid, sizeof(x->err->blobid), bid,
		    strlen(bid));
		return bx_fail(x, "blobNotFound", NULL);
	}
	if (rc == JMAP_BLOB_TOOLARGE)
		return bx_fail(x, "tooLarge", NULL);
	if (rc < 0)
		return bx_fail(x, "serverFail", NULL);
	*text = false;
	if (blob.type[0] != '\0' && type_ok(blob.type))
		memcpy(btype, blob.type, sizeof(blob.type));
	return buf_append(raw, blob.p, blob.n) < 0 ?
	    bx_fail(x, "tooLarge", NULL) : 0;
}

static int
leaf_headers(struct bx *x, json_t *part, const char *type, bool text)
{
	const char *name = prop_str(part, "name"), *disp = prop_str(part, "disposition");
	const char *cid = prop_str(part, "cid"), *loc = prop_str(part, "location");
	const char *cs = text ? "utf-8" : prop_str(part, "charset");
	json_t *lang = json_object_get(part, "language");
	buf_printf(x->out, "Content-Type: %s", type);
	if (cs != NULL && (!token_ok(cs, 40) ||
	    hdr_param(x, "charset", cs) < 0))
		return -1;
	if (name != NULL && hdr_param(x, "name", name) < 0)
		return -1;
	buf_append(x->out, "\r\n", 2);
	if (disp != NULL || name != NULL) {
		disp = disp ? disp : "attachment";
		if (!token_ok(disp, 40))
			return -1;
		buf_printf(x->out, "Content-Disposition: %s", disp);
		if (name != NULL && hdr_param(x, "filename", name) < 0)
			return -1;
		buf_append(x->out, "\r\n", 2);
	}
	if (cid != NULL && (!hdr_msgid_ok(cid) ||
	    buf_printf(x->out, "Content-ID: <%s>\r\n", cid) < 0))
		return -1;
	if (loc != NULL && hdr_text(x, "Content-Location", loc) < 0)
		return -1;
	if (lang != NULL && !json_is_null(lang)) {
		size_t i;
		json_t *l;
		if (!json_is_array(lang) || json_array_size(lang) == 0)
			return -1;
		buf_append_str(x->out, "Content-Language:");
		json_array_foreach(lang, i, l)
			if (!json_is_string(l) || !token_ok(json_string_value(l),
			    40) || buf_printf(x->out, "%s %s", i ? "," : "",
			    json_string_value(l)) < 0)
				return -1;
		buf_append(x->out, "\r\n", 2);
	}
	return 0;
}

/* The body: 7bit as it is, else quoted-printable for text, base64 for
 * the rest; message/rfc822 never encoded (RFC 2046 section 5.2.1). */
static int
leaf_body(struct bx *x, const char *type, bool text, struct buf *raw)
{
	const uint8_t *p = raw->data ? raw->data : (const uint8_t *)"";
	bool msg = strncasecmp(type, "message/", 8) == 0;
	if (msg && enc_is_8bit(p, raw->len)) {
		buf_printf(x->out, "Content-Transfer-Encoding: %s\r\n\r\n",
		    enc_is_7bit(p, raw->len) ? "7bit" : "8bit");
		buf_append(x->out, p, raw->len);
	} else if (msg) {
		return bx_fail(x, "invalidProperties", "bodyStructure");
	} else if (text && enc_is_7bit(p, raw->len)) {
		buf_append_str(x->out, "Content-Transfer-Encoding: 7bit\r\n\r\n");
		buf_append(x->out, p, raw->len);
	} else if (text) {
		buf_append_str(x->out, "Content-Transfer-Encoding: "
		    "quoted-printable\r\n\r\n");
		enc_qp(x->out, p, raw->len);
	} else {
		buf_append_str(x->out, "Content-Transfer-Encoding: "
		    "base64\r\n\r\n");
		enc_base64(x->out, p, raw->len, true);
	}
	return x->out->failed ? bx_fail(x, "tooLarge", NULL) : 0;
}

/* Part header:X properties (never Content-*: the part's own
 * properties say those). */
static int
part_fields(struct bx *x, json_t *part)
{
	const char *k;
	json_t *v;
	json_object_foreach(part, k, v)
		if (strncmp(k, "header:", 7) == 0 && hdr_property(x, k, v) < 0) {
			if (strcmp(x->err->type, "invalidProperties") == 0)
				buf_strlcpy(x->err->property,
				    sizeof(x->err->property), "bodyStructure",
				    13);
			return -1;
		}
	return 0;
}

int
body_part(struct bx *x, json_t *part, unsigned depth)
{
	if (!json_is_object(part) || !part_props_ok(part) ||
	    ++x->nparts > BUILD_MAX_PARTS)
		return bx_fail(x, "invalidProperties", "bodyStructure");
	const char *type = prop_str(part, "type");
	if (type != NULL && !type_ok(type))
		return bx_fail(x, "invalidProperties", "bodyStructure");
	if (part_fields(x, part) < 0)
		return -1;
	if (type != NULL && strncasecmp(type, "multipart/", 10) == 0)
		return multipart(x, part, type, depth);
	if (json_object_get(part, "subParts") != NULL)
		return bx_fail(x, "invalidProperties", "bodyStructure");
	struct buf raw = BUF_INIT(x->env->max_size + 1);
	bool text = false;
	char btype[128] = "";
	int rc = leaf_content(x, part, &raw, &text, btype);
	if (type == NULL)
		type = text ? "text/plain" : btype[0] ? btype :
		    "application/octet-stream";
	if (rc == 0 && text && strncasecmp(type, "text/", 5) != 0)
		rc = bx_fail(x, "invalidProperties", "bodyStructure");
	if (rc == 0 && leaf_headers(x, part, type, text) < 0)
		rc = bx_fail(x, "invalidProperties", "bodyStructure");
	if (rc == 0)
		rc = leaf_body(x, type, text, &raw);
	buf_free(&raw);
	return rc;
}

/* ---- textBody / htmlBody / attachments ------------------------------------ */

/* The one part of a textBody or htmlBody list, typed; NULL if none. */
static json_t *
single(struct bx *x, json_t *list, const char *prop, const char *type)
{
	if (list == NULL || json_is_null(list))
		return NULL;
	json_t *p = json_array_get(list, 0);
	const char *t = prop_str(p, "type");
	if (!json_is_array(list) || json_array_size(list) != 1 ||
	    !json_is_object(p) || (t != NULL && strcasecmp(t, type) != 0)) {
		bx_fail(x, "invalidProperties", prop);
		return NULL;
	}
	p = json_copy(p);
	json_object_set_new(p, "type", json_string(type));
	return p;
}

static json_t *
multi(const char *type, json_t *a, json_t *b)
{
	return json_pack("{s:s, s:[oo]}", "type", type, "subParts", a, b);
}

/* body as the first part of a multipart of type with the parts of list
 * after it (list taken over); body itself when list is empty. */
static json_t *
wrap(json_t *body, const char *type, json_t *list)
{
	if (json_array_size(list) == 0) {
		json_decref(list);
		return body;
	}
	json_array_insert_new(list, 0, body);
	return json_pack("{s:s, s:o}", "type", type, "subParts", list);
}

json_t *
body_from_lists(struct bx *x, json_t *text, json_t *html, json_t *att)
{
	json_t *t = single(x, text, "textBody", "text/plain");
	json_t *h = single(x, html, "htmlBody", "text/html");
	if (x->err->type != NULL || (att && !json_is_null(att) &&
	    !json_is_array(att))) {
		json_decref(t);
		json_decref(h);
		bx_fail(x, "invalidProperties", "attachments");
		return NULL;
	}
	size_t i;
	json_t *a, *inl = json_array(), *mixed = json_array();
	json_array_foreach(att, i, a) {
		bool in = h && prop_str(a, "cid") && prop_str(a, "disposition") &&
		    strcasecmp(prop_str(a, "disposition"), "inline") == 0;
		json_array_append(in ? inl : mixed, a);
	}
	/* inline images belong with the HTML they are part of */
	if (h != NULL)
		h = wrap(h, "multipart/related", inl);
	else
		json_decref(inl);
	json_t *body = t && h ? multi("multipart/alternative", t, h) :
	    t ? t : h ? h : json_pack("{s:s, s:s}", "type", "text/plain",
	    "partId", "");
	if (t == NULL && h == NULL)
		json_object_set_new(x->body_values, "", json_pack("{s:s}",
		    "value", ""));
	return wrap(body, "multipart/mixed", mixed);
}
