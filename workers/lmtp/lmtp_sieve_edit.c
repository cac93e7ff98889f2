/* lmtp_sieve_edit: the bytes of a replaced or enclosed message (see
 * header). Every line the builder writes ends in CRLF. */
#include "lmtp_sieve_edit.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lmtp_vacation.h"

#define TEXT_PART_HEADER "Content-Type: text/plain; charset=utf-8\r\n" \
	"Content-Transfer-Encoding: "
#define BOUNDARY_TRIES 64

static bool
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* text with every line ended by CRLF (bare CRs dropped), the last one
 * too when it has any */
static void
append_crlf(struct buf *out, const char *text)
{
	size_t n = strlen(text);
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\r')
			continue;
		if (text[i] == '\n')
			buf_append(out, "\r\n", 2);
		else
			buf_append_byte(out, (uint8_t)text[i]);
	}
	if (n > 0 && text[n - 1] != '\n')
		buf_append(out, "\r\n", 2);
}

/* A field of the MIME structure, which a whole-message replace drops. */
static bool
is_mime_field(const struct mime_field *f)
{
	return (f->name_len >= 8 && strncasecmp((const char *)f->name,
	    "Content-", 8) == 0) || mime_field_is(f, "MIME-Version");
}

static void
append_field(struct buf *out, const char *prefix, const struct mime_field *f)
{
	buf_append_str(out, prefix);
	buf_append(out, f->raw, f->raw_len);
	if (f->raw_len == 0 || f->raw[f->raw_len - 1] != '\n')
		buf_append(out, "\r\n", 2);
}

static bool
own_address(const char *a, size_t n, const struct lmtp_edit_env *env)
{
	return lmtp_addr_equal(a, n, env->user_addr) ||
	    (env->own_addr != NULL && lmtp_addr_equal(a, n, env->own_addr));
}

/* The address of a From value (between < and >, or all of it) is one of
 * the user's. */
static bool
from_is_user(const char *from, const struct lmtp_edit_env *env)
{
	const char *lt = strchr(from, '<'), *gt = strrchr(from, '>');
	for (const char *p = from; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	if (lt != NULL && gt != NULL && gt > lt)
		return own_address(lt + 1, (size_t)(gt - lt - 1), env);
	if (lt != NULL || gt != NULL)
		return false;
	return own_address(from, strlen(from), env);
}

/* The new content as an entity: the script's own MIME header, or a
 * text/plain part around its text. */
static void
append_entity(struct buf *out, const struct sieve_action *a)
{
	if (!a->mime) {
		buf_printf(out, TEXT_PART_HEADER "%s\r\n\r\n",
		    is_ascii(a->arg) ? "7bit" : "8bit");
	}
	append_crlf(out, a->arg);
}

/* The whole message's new content with :mime: only the entity's Content-*
 * fields join the message's header, so a script sets no From (past the
 * rule of :from), To or Bcc that way. No header of its own: plain text. */
static void
append_top_entity(struct buf *out, const struct sieve_action *a)
{
	struct buf e = BUF_INIT(out->max);
	append_crlf(&e, a->arg);
	const uint8_t *eoh = e.len > 0 ? memmem(e.data, e.len, "\r\n\r\n", 4) :
	    NULL;
	if (e.failed || eoh == NULL) {
		struct sieve_action text = *a;
		text.mime = false;
		append_entity(out, &text);
		out->failed |= e.failed;
		buf_free(&e);
		return;
	}
	struct mime_hdr_iter it;
	struct mime_field f;
	mime_hdr_init(&it, e.data, (size_t)(eoh + 2 - e.data));
	while (mime_hdr_next(&it, &f))
		if (is_mime_field(&f) && !mime_field_is(&f, "MIME-Version"))
			append_field(out, "", &f);
	buf_append(out, eoh + 2, (size_t)(e.data + e.len - (eoh + 2)));
	buf_free(&e);
}

static int
replace_whole(struct buf *out, const struct mime_msg *m,
    const struct sieve_action *a, const struct lmtp_edit_env *env)
{
	bool from = a->from != NULL && from_is_user(a->from, env);
	struct mime_hdr_iter it;
	struct mime_field f;
	mime_hdr_init_part(&it, m, 0);
	while (mime_hdr_next(&it, &f)) {
		if (is_mime_field(&f))
			continue;
		bool moved = (a->subject != NULL && mime_field_is(&f, "Subject")) ||
		    (from && mime_field_is(&f, "From"));
		append_field(out, moved ? "Original-" : "", &f);
	}
	if (a->subject != NULL) {
		buf_append_str(out, "Subject: ");
		lmtp_header_text(out, a->subject, strlen(a->subject));
		buf_append(out, "\r\n", 2);
	}
	if (from)
		buf_printf(out, "From: %s\r\n", a->from);
	buf_append_str(out, "MIME-Version: 1.0\r\n");
	if (a->mime)
		append_top_entity(out, a);
	else
		append_entity(out, a);
	return 0;
}

/* Does text hold a line that is a delimiter of one of part's enclosing
 * multiparts? Then it would end the part early and forge parts. */
static bool
crosses_boundary(const struct mime_msg *m, uint32_t part, const char *text)
{
	for (uint32_t p = m->parts[part].parent; p != MIME_NONE;
	    p = m->parts[p].parent) {
		struct mime_field f;
		if (m->parts[p].kind != MIME_MULTIPART ||
		    !mime_hdr_find(m, p, "Content-Type", &f))
			continue;
		struct mime_ctype ct;
		mime_ctype_parse(&ct, f.value, f.value_len);
		const struct mime_str *b = mime_param_get(&ct, "boundary");
		/* the parser matches a cut boundary's prefix: so does this */
		size_t blen = b == NULL ? 0 : b->len < MIME_BOUNDARY_MAX ?
		    b->len : MIME_BOUNDARY_MAX;
		bool hit = false;
		for (const char *l = text; b != NULL && l != NULL && !hit;
		    l = strchr(l, '\n'), l = l != NULL ? l + 1 : NULL)
			hit = l[0] == '-' && l[1] == '-' &&
			    strncmp(l + 2, (const char *)b->p, blen) == 0;
		mime_ctype_free(&ct);
		if (hit)
			return true;
	}
	return false;
}

static int
replace_part(struct buf *out, const struct mime_msg *m,
    const struct sieve_action *a, const char **why)
{
	const struct mime_part *p = mime_part(m, (uint32_t)a->part);
	if (p == NULL) {
		*why = "no such part";
		return -1;
	}
	if (crosses_boundary(m, (uint32_t)a->part, a->arg)) {
		*why = "the new part holds an enclosing boundary";
		return -1;
	}
	buf_append(out, m->data, p->hdr);
	/* an empty last part after a delimiter line without its line end;
	 * the message of a message/rfc822 part whose header has no empty
	 * line (it would become that header) */
	const struct mime_part *par = mime_part(m, p->parent);
	if (p->hdr > 0 && m->data[p->hdr - 1] != '\n')
		buf_append(out, "\r\n", 2);
	if (par != NULL && par->kind == MIME_MESSAGE &&
	    (par->flags & MIME_P_NO_EOH))
		buf_append(out, "\r\n", 2);
	size_t start = out->len;
	append_entity(out, a);
	/* the line end before the next delimiter belongs to the delimiter */
	if (par != NULL && par->kind == MIME_MULTIPART && out->len >= start + 2 &&
	    memcmp(out->data + out->len - 2, "\r\n", 2) == 0)
		out->len -= 2;
	buf_append(out, m->data + p->end, m->len - p->end);
	return 0;
}

static bool
name_listed(const struct mime_field *f, const struct sieve_action *a)
{
	for (size_t i = 0; i < a->nheaders; i++)
		if (mime_field_is(f, a->headers[i]))
			return true;
	return false;
}

static bool
contains(const uint8_t *hay, size_t n, const char *needle)
{
	return memmem(hay, n, needle, strlen(needle)) != NULL;
}

/* The fields enclose copies; which of Date, Message-ID, From it did. */
static void
copy_fields(struct buf *out, const struct mime_msg *m,
    const struct sieve_action *a, bool have[3])
{
	static const char *const made[3] = { "Date", "Message-ID", "From" };
	struct mime_hdr_iter it;
	struct mime_field f;
	mime_hdr_init_part(&it, m, 0);
	while (mime_hdr_next(&it, &f)) {
		bool subject = mime_field_is(&f, "Subject");
		if (is_mime_field(&f) || (subject && a->subject != NULL) ||
		    (!subject && !name_listed(&f, a)))
			continue;
		append_field(out, "", &f);
		for (int i = 0; i < 3; i++)
			have[i] |= mime_field_is(&f, made[i]);
	}
}

/* Date and Message-ID the new message does not have from the original */
static void
fresh_fields(struct buf *out, const bool have[3],
    const struct lmtp_edit_env *env)
{
	struct buf auto_hdr = BUF_INIT(1024);
	lmtp_auto_headers(&auto_hdr, env->hostname, env->now);
	const uint8_t *p = auto_hdr.data, *end = auto_hdr.data + auto_hdr.len;
	for (int i = 0; i < 2 && p < end; i++) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;
		if (!have[i])
			buf_append(out, p, (size_t)(nl + 1 - p));
		p = nl + 1;
	}
	buf_free(&auto_hdr);
	if (!have[2])
		buf_printf(out, "From: <%s>\r\n", env->own_addr != NULL ?
		    env->own_addr : env->user_addr);
}

static int
enclose(struct buf *out, const struct mime_msg *m,
    const struct sieve_action *a, const struct lmtp_edit_env *env,
    const char **why)
{
	char b[48];
	int t = 0;
	for (; t < BOUNDARY_TRIES; t++) {
		snprintf(b, sizeof(b), "=_cloister_enclose_%d", t);
		if (!contains(m->data, m->len, b) &&
		    strstr(a->arg, b) == NULL)
			break;
	}
	if (t == BOUNDARY_TRIES) {
		*why = "no boundary free";
		return -1;
	}
	bool have[3] = { false, false, false };
	copy_fields(out, m, a, have);
	if (a->subject != NULL) {
		buf_append_str(out, "Subject: ");
		lmtp_header_text(out, a->subject, strlen(a->subject));
		buf_append(out, "\r\n", 2);
	}
	fresh_fields(out, have, env);
	buf_printf(out, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;"
	    " boundary=\"%s\"\r\n\r\n--%s\r\n" TEXT_PART_HEADER "%s\r\n\r\n", b,
	    b, is_ascii(a->arg) ? "7bit" : "8bit");
	append_crlf(out, a->arg);
	buf_printf(out, "\r\n--%s\r\nContent-Type: message/rfc822\r\n\r\n", b);
	buf_append(out, m->data, m->len);
	buf_printf(out, "\r\n--%s--\r\n", b);
	return 0;
}

int
lmtp_edit_apply(struct buf *out, const struct mime_msg *m,
    const struct sieve_action *a, const struct lmtp_edit_env *env,
    const char **why)
{
	*why = "over max-message-size";
	int rc;
	if (a->type == SIEVE_ACT_ENCLOSE)
		rc = enclose(out, m, a, env, why);
	else if (a->type == SIEVE_ACT_REPLACE && a->part == 0)
		rc = replace_whole(out, m, a, env);
	else if (a->type == SIEVE_ACT_REPLACE)
		rc = replace_part(out, m, a, why);
	else
		rc = -1;
	if (rc == 0 && out->failed) {
		*why = "over max-message-size";
		return -1;
	}
	return rc;
}
