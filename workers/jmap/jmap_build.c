/* jmap_build: an Email/set create object as an RFC 5322 message (see
 * jmap_build.h): which properties it may have, the header fields in a
 * fixed order, a Message-ID and a Date when the client gives none, then
 * the MIME tree (jmap_build_body.c). */
#include "jmap_build_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int
bx_fail(struct bx *x, const char *type, const char *property)
{
	if (x->err->type == NULL) {
		x->err->type = type;
		if (property != NULL)
			buf_strlcpy(x->err->property, sizeof(x->err->property),
			    property, strlen(property));
	}
	return -1;
}

enum kind { K_ADDR, K_TEXT, K_DATE, K_IDS, K_STORE, K_BODY };

/* The convenience properties, in the order their fields are written. */
static const struct {
	const char *prop, *field;
	enum kind kind;
} props[] = {
	{ "sentAt", "Date", K_DATE },
	{ "from", "From", K_ADDR },
	{ "sender", "Sender", K_ADDR },
	{ "replyTo", "Reply-To", K_ADDR },
	{ "to", "To", K_ADDR },
	{ "cc", "Cc", K_ADDR },
	{ "bcc", "Bcc", K_ADDR },
	{ "subject", "Subject", K_TEXT },
	{ "messageId", "Message-ID", K_IDS },
	{ "inReplyTo", "In-Reply-To", K_IDS },
	{ "references", "References", K_IDS },
	{ "mailboxIds", NULL, K_STORE },
	{ "keywords", NULL, K_STORE },
	{ "receivedAt", NULL, K_STORE },
	{ "bodyStructure", NULL, K_BODY },
	{ "textBody", NULL, K_BODY },
	{ "htmlBody", NULL, K_BODY },
	{ "attachments", NULL, K_BODY },
	{ "bodyValues", NULL, K_BODY },
};
#define NPROPS (sizeof(props) / sizeof(props[0]))

bool
jmap_build_property_known(const char *name)
{
	char l[100];
	for (size_t i = 0; i < NPROPS; i++)
		if (strcmp(name, props[i].prop) == 0)
			return true;
	return hdr_property_name(name, l, sizeof(l));
}

/* Every property known, no field set twice (a convenience property and
 * a header: form of the same field, or two forms). */
static int
check_props(struct bx *x, json_t *email)
{
	json_t *seen = json_object();
	const char *k;
	json_t *v;
	int rc = 0;
	for (size_t i = 0; i < NPROPS; i++)
		if (props[i].field != NULL) {
			char l[32];
			size_t j = 0;
			for (const char *p = props[i].field; *p && j < 31; p++)
				l[j++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
			l[j] = '\0';
			if (json_object_get(email, props[i].prop) != NULL)
				json_object_set_new(seen, l, json_true());
		}
	json_object_foreach(email, k, v) {
		char l[100];
		if (!jmap_build_property_known(k)) {
			rc = bx_fail(x, "invalidProperties", k);
			break;
		}
		if (!hdr_property_name(k, l, sizeof(l)))
			continue;
		if (json_object_get(seen, l) != NULL) {
			rc = bx_fail(x, "invalidProperties", k);
			break;
		}
		json_object_set_new(seen, l, json_true());
	}
	json_decref(seen);
	return rc;
}

static int
convenience_field(struct bx *x, size_t i, json_t *v)
{
	const char *s = json_string_value(v);
	if (json_is_null(v))
		return 0;
	switch (props[i].kind) {
	case K_ADDR:
		return hdr_addresses(x, props[i].field, v);
	case K_TEXT:
		return s ? hdr_text(x, props[i].field, s) : -1;
	case K_DATE:
		return s ? hdr_date(x, props[i].field, s) : -1;
	case K_IDS:
		if (strcmp(props[i].prop, "messageId") == 0 &&
		    json_array_size(v) != 1)
			return -1;
		return hdr_msgids(x, props[i].field, v);
	default:
		return 0;
	}
}

/* Is the field (lowercase) set by a header: property? */
static bool
has_field(json_t *email, const char *lname)
{
	const char *k;
	json_t *v;
	char l[100];
	json_object_foreach(email, k, v)
		if (hdr_property_name(k, l, sizeof(l)) && strcmp(l, lname) == 0)
			return true;
	return false;
}

/* Date (now) and Message-ID (random @ domain) when not given. */
static int
default_fields(struct bx *x, json_t *email)
{
	if (json_object_get(email, "sentAt") == NULL &&
	    !has_field(email, "date")) {
		char d[40];
		time_t t = (time_t)x->env->now;
		struct tm tm;
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 ||
		    hdr_date(x, "Date", d) < 0)
			return bx_fail(x, "serverFail", NULL);
	}
	if (json_object_get(email, "messageId") == NULL &&
	    !has_field(email, "message-id")) {
		struct buf id = BUF_INIT(300);
		enc_hex(&id, x->env->random, JMAP_BUILD_RANDOM);
		buf_printf(&id, "@%s", x->env->domain);
		const char *s = buf_cstr(&id);
		int rc = s != NULL && hdr_msgid_ok(s) ?
		    buf_printf(x->out, "Message-ID: <%s>\r\n", s) : -1;
		buf_free(&id);
		if (rc < 0)
			return bx_fail(x, "serverFail", NULL);
	}
	return 0;
}

static int
headers(struct bx *x, json_t *email)
{
	const char *k;
	json_t *v;
	for (size_t i = 0; i < NPROPS; i++) {
		v = json_object_get(email, props[i].prop);
		if (v != NULL && convenience_field(x, i, v) < 0)
			return bx_fail(x, "invalidProperties", props[i].prop);
	}
	json_object_foreach(email, k, v)
		if (strncmp(k, "header:", 7) == 0 && hdr_property(x, k, v) < 0)
			return -1;
	if (default_fields(x, email) < 0)
		return -1;
	buf_append_str(x->out, "MIME-Version: 1.0\r\n");
	return x->out->failed ? bx_fail(x, "tooLarge", NULL) : 0;
}

/* The body: bodyStructure, or textBody / htmlBody / attachments, never
 * both (RFC 8621 section 4.6). */
static int
body(struct bx *x, json_t *email)
{
	json_t *bs = json_object_get(email, "bodyStructure");
	json_t *t = json_object_get(email, "textBody");
	json_t *h = json_object_get(email, "htmlBody");
	json_t *a = json_object_get(email, "attachments");
	json_t *bv = json_object_get(email, "bodyValues");
	int rc;
	if (bv != NULL && !json_is_object(bv))
		return bx_fail(x, "invalidProperties", "bodyValues");
	x->body_values = bv ? json_copy(bv) : json_object();
	if (bs != NULL && (t || h || a)) {
		rc = bx_fail(x, "invalidProperties", "bodyStructure");
	} else if (bs != NULL) {
		rc = body_part(x, bs, 0);
	} else {
		json_t *root = body_from_lists(x, t, h, a);
		rc = root ? body_part(x, root, 0) : -1;
		json_decref(root);
	}
	json_decref(x->body_values);
	x->body_values = NULL;
	return rc;
}

int
jmap_build(json_t *email, const struct jmap_build_env *env, struct buf *out,
    struct jmap_build_err *err)
{
	struct bx x = { .env = env, .out = out, .err = err };
	memset(err, 0, sizeof(*err));
	if (!json_is_object(email))
		return bx_fail(&x, "invalidProperties", NULL);
	if (check_props(&x, email) < 0 || headers(&x, email) < 0 ||
	    body(&x, email) < 0)
		return -1;
	if (out->failed || out->len > env->max_size)
		return bx_fail(&x, "tooLarge", NULL);
	return 0;
}
