/*
 * jmap_snippet: SearchSnippet/get (RFC 8621 section 5). The terms of the
 * filter's text, subject and body conditions (not those under NOT) are
 * marked in the email's subject and in a preview of its text body cut
 * around the first match (jmap_snippet_hl.c); either is null when no term
 * is in it. The subject comes from the store's metadata, the text from
 * the message itself, parsed here as Email/get's bodyValues are (stored
 * parses no text). Every email is located in one store request. Ids that
 * are not emails are notFound.
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

/* The SearchSnippet of the email whose first copy is loc. */
static json_t *
snippet(struct store_conn *sc, json_t *id, const struct store_email_loc *loc,
    const struct terms *t, int *rc)
{
	struct store_uids one = { 0 };
	char *subject = NULL, *marked = NULL, *preview = NULL;
	*rc = STORE_OK;
	if (t->subject.n > 0) {
		*rc = jmap_one_uid(&one, loc->uid);
		if (*rc == STORE_OK)
			*rc = store_fetch(sc, loc->mailbox_id, &one,
			    STORE_F_ADDRS, 0, got_subject, &subject);
		if (subject != NULL)
			marked = hl_highlight(subject, strlen(subject),
			    &t->subject, 0);
	}
	if (*rc == STORE_OK && t->body.n > 0)
		*rc = preview_of(sc, loc, &t->body, &preview);
	json_t *o = *rc != STORE_OK ? NULL : json_pack("{sOss?ss?}",
	    "emailId", id, "subject", marked, "preview", preview);
	if (o == NULL && *rc == STORE_OK)
		*rc = STORE_E_INTERNAL;              /* out of memory */
	store_uids_free(&one);
	free(subject);
	free(marked);
	free(preview);
	return o;
}

/* Where the asked emails are: one request for all of them. */
struct firsts {
	uint64_t *ids;
	bool *valid;                     /* ids[i] parsed as an email id */
	struct store_email_loc *loc;     /* uid 0: not (yet) found */
	size_t n;
};

static int
on_copy(void *arg, const struct store_email_loc *l)
{
	struct firsts *f = arg;
	for (size_t i = 0; i < f->n; i++)
		if (f->valid[i] && f->ids[i] == l->emailid &&
		    f->loc[i].uid == 0)
			f->loc[i] = *l;
	return 0;
}

static int
locate(struct jmap_call *c, json_t *ids, struct firsts *f)
{
	size_t i, n = 0;
	json_t *v;
	f->n = 0;
	f->ids = calloc(json_array_size(ids) + 1, sizeof(*f->ids));
	f->loc = calloc(json_array_size(ids) + 1, sizeof(*f->loc));
	f->valid = calloc(json_array_size(ids) + 1, sizeof(*f->valid));
	if (f->ids == NULL || f->loc == NULL || f->valid == NULL)
		return STORE_E_INTERNAL;
	json_array_foreach(ids, i, v) {
		f->valid[i] = jmap_id_parse(c, json_string_value(v), 'E',
		    &f->ids[i]);
		n += f->valid[i];
	}
	f->n = json_array_size(ids);
	uint64_t *valid = calloc(n + 1, sizeof(*valid));
	if (valid == NULL)
		return STORE_E_INTERNAL;
	n = 0;
	for (i = 0; i < f->n; i++)
		if (f->valid[i])
			valid[n++] = f->ids[i];
	int rc = n == 0 ? STORE_OK : store_email_locate_many(c->account->store,
	    valid, n, on_copy, f);
	free(valid);
	return rc;
}

json_t *
jmap_snippet_get(struct jmap_call *c, json_t **err)
{
	json_t *ids = json_object_get(c->args, "emailIds");
	json_t *filter = json_object_get(c->args, "filter");
	struct firsts f = { 0 };
	size_t i;
	json_t *v, *res = NULL;
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
	int rc = t == NULL ? STORE_E_INTERNAL : locate(c, ids, &f);
	if (rc == STORE_OK) {
		collect(filter, t, 0);
		res = json_pack("{sss[]s[]}", "accountId",
		    c->account->account_id, "list", "notFound");
		rc = res == NULL ? STORE_E_INTERNAL : STORE_OK;
	}
	json_array_foreach(ids, i, v) {
		if (res == NULL)
			break;
		json_t *o = f.loc[i].uid == 0 ? NULL :
		    snippet(c->account->store, v, &f.loc[i], t, &rc);
		if (o != NULL)
			json_array_append_new(json_object_get(res, "list"), o);
		else if (f.loc[i].uid == 0 || rc == STORE_E_NOTFOUND)
			json_array_append(json_object_get(res, "notFound"), v);
		else
			break;
	}
	if (rc != STORE_OK && rc != STORE_E_NOTFOUND) {
		*err = jmap_store_error(c, rc);
		json_decref(res);
		res = NULL;
	}
	free(f.ids);
	free(f.loc);
	free(f.valid);
	free(t);
	return res;
}
