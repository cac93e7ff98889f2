/*
 * jmap_snippet: SearchSnippet/get (RFC 8621 section 5). The terms of the
 * filter's text, subject and body conditions (not those under NOT) are
 * marked in the email's subject and in a preview of its text body cut
 * around the first match (jmap_snippet_hl.c); either is null when no term
 * is in it. The subject comes from the store's metadata, the text from
 * the message itself, parsed here as Email/get's bodyValues are (stored
 * parses no text). Ids that are not emails are notFound.
 */
#include "jmap_email_body.h"
#include "jmap_email_common.h"
#include "jmap_snippet_hl.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FILTER_DEPTH 16

struct terms {
	struct hl_terms subject, body;
};

/* The terms of filter into t (past HL_MAX_TERMS, the first ones only:
 * a snippet marks fewer terms rather than failing the call). */
static void
collect(json_t *filter, struct terms *t, int depth)
{
	const char *op = json_string_value(json_object_get(filter, "operator"));
	json_t *v;
	size_t i;
	if (!json_is_object(filter) || depth > FILTER_DEPTH)
		return;
	if (op != NULL) {
		if (strcmp(op, "NOT") != 0)
			json_array_foreach(json_object_get(filter, "conditions"),
			    i, v)
				collect(v, t, depth + 1);
		return;
	}
	const char *text = json_string_value(json_object_get(filter, "text"));
	const char *subj = json_string_value(json_object_get(filter, "subject"));
	const char *body = json_string_value(json_object_get(filter, "body"));
	if (text != NULL) {
		hl_terms_add(&t->subject, text);
		hl_terms_add(&t->body, text);
	}
	if (subj != NULL)
		hl_terms_add(&t->subject, subj);
	if (body != NULL)
		hl_terms_add(&t->body, body);
}

static int
got_subject(void *arg, const struct store_msg *m)
{
	char **s = arg;
	free(*s);
	*s = strndup(m->subject.p ? m->subject.p : "", m->subject.n);
	return 0;
}

/* A part's value; an HTML one without its tags (a preview shows what a
 * reader sees, roughly). The bytes copied. */
static size_t
copy_text(char *dst, const char *src, size_t len, const char *type)
{
	if (type == NULL || strcasecmp(type, "text/html") != 0) {
		memcpy(dst, src, len);
		return len;
	}
	size_t n = 0;
	bool tag = false;
	for (size_t i = 0; i < len; i++) {
		if (src[i] == '<' || src[i] == '>')
			tag = src[i] == '<';
		else if (!tag)
			dst[n++] = src[i];
	}
	return n;
}

/* The values of the text body parts, one after another. */
static char *
text_of(json_t *obj)
{
	json_t *values = json_object_get(obj, "bodyValues"), *part;
	size_t i, n = 0;
	char *out = NULL;
	json_array_foreach(json_object_get(obj, "textBody"), i, part) {
		const char *id = json_string_value(json_object_get(part,
		    "partId"));
		json_t *v = json_object_get(json_object_get(values, id ? id : ""),
		    "value");
		size_t len = json_string_length(v);
		if (v == NULL || n + len + 2 > HL_TEXT_MAX)
			continue;
		char *grown = realloc(out, n + len + 2);
		if (grown == NULL)
			break;
		out = grown;
		n += copy_text(out + n, json_string_value(v), len,
		    json_string_value(json_object_get(part, "type")));
		out[n++] = '\n';
		out[n] = '\0';
	}
	return out;
}

/* The preview of the message at loc; *preview NULL when no term is in
 * its text. */
static int
preview_of(struct store_conn *sc, const struct store_email_loc *loc,
    const struct hl_terms *terms, char **preview)
{
	void *p;
	size_t size;
	int rc = jmap_message_map(sc, loc, &p, &size);
	if (rc != STORE_OK)
		return rc;
	struct jmap_body_args ba = { .text_values = true,
	    .max_value_bytes = HL_TEXT_MAX, .budget = 4 * HL_TEXT_MAX };
	json_t *obj = json_object();
	ba.props = json_pack("{sbsb}", "textBody", 1, "bodyValues", 1);
	if (obj == NULL || ba.props == NULL ||
	    jmap_body_add(obj, p ? p : "", p ? size : 0, &ba) == -1)
		rc = STORE_E_INTERNAL;
	char *text = rc == STORE_OK ? text_of(obj) : NULL;
	if (text != NULL)
		*preview = hl_highlight(text, strlen(text), terms,
		    HL_PREVIEW_CHARS);
	free(text);
	json_decref(ba.props);
	json_decref(obj);
	jmap_message_unmap(p, size);
	return rc;
}

/* The SearchSnippet of emailid; rc STORE_E_NOTFOUND when there is none. */
static json_t *
snippet(struct store_conn *sc, json_t *id, uint64_t emailid,
    const struct terms *t, int *rc)
{
	struct jmap_copies l;
	struct store_uids one = { 0 };
	char *subject = NULL, *marked = NULL, *preview = NULL;
	*rc = jmap_email_copies(sc, emailid, &l);
	if (*rc == STORE_OK && t->subject.n > 0) {
		*rc = jmap_one_uid(&one, l.v[0].uid);
		if (*rc == STORE_OK)
			*rc = store_fetch(sc, l.v[0].mailbox_id, &one,
			    STORE_F_ADDRS, 0, got_subject, &subject);
		if (subject != NULL)
			marked = hl_highlight(subject, strlen(subject),
			    &t->subject, 0);
	}
	if (*rc == STORE_OK && t->body.n > 0)
		*rc = preview_of(sc, &l.v[0], &t->body, &preview);
	json_t *o = *rc != STORE_OK ? NULL : json_pack("{sOss?ss?}",
	    "emailId", id, "subject", marked, "preview", preview);
	store_uids_free(&one);
	free(l.v);
	free(subject);
	free(marked);
	free(preview);
	return o;
}

json_t *
jmap_snippet_get(struct jmap_call *c, json_t **err)
{
	json_t *ids = json_object_get(c->args, "emailIds");
	json_t *filter = json_object_get(c->args, "filter");
	size_t i;
	json_t *v;
	if (!jmap_check_account(c, err))
		return NULL;
	if (!json_is_array(ids) || (filter != NULL && !json_is_null(filter) &&
	    !json_is_object(filter))) {
		*err = jmap_error("invalidArguments", "emailIds, filter");
		return NULL;
	}
	if (json_array_size(ids) > c->account->limits->max_objects_in_get) {
		*err = jmap_error("requestTooLarge", NULL);
		return NULL;
	}
	struct terms *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		*err = jmap_store_error(c, STORE_E_INTERNAL);
		return NULL;
	}
	collect(filter, t, 0);
	json_t *res = json_pack("{sss[]s[]}", "accountId",
	    c->account->account_id, "list", "notFound");
	json_array_foreach(ids, i, v) {
		uint64_t id;
		int rc = STORE_E_NOTFOUND;
		json_t *o = jmap_id_parse(c, json_string_value(v), 'E', &id) ?
		    snippet(c->account->store, v, id, t, &rc) : NULL;
		if (o == NULL && rc == STORE_OK)
			rc = STORE_E_INTERNAL;      /* out of memory */
		if (o != NULL) {
			json_array_append_new(json_object_get(res, "list"), o);
		} else if (rc == STORE_E_NOTFOUND) {
			json_array_append(json_object_get(res, "notFound"), v);
		} else {
			*err = jmap_store_error(c, rc);
			json_decref(res);
			res = NULL;
			break;
		}
	}
	free(t);
	return res;
}
