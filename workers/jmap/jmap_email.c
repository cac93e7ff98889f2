/*
 * jmap_email: Email/get and Email/changes (RFC 8621 section 4) from the
 * store's message metadata: where the email is (mailboxIds), its flags
 * and keywords (keywords), ids, size, dates and the header fields the
 * store indexed. Email/query is jmap_email_query.c.
 */
#include "jmap_blob.h"
#include "jmap_email_addr.h"
#include "jmap_email_body.h"
#include "jmap_email_header.h"
#include "jmap_email_common.h"
#include "jmap_snooze.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *const jmap_email_props[] = {
	"id", "blobId", "threadId", "mailboxIds", "keywords", "size",
	"receivedAt", "messageId", "inReplyTo", "references", "from", "to",
	"cc", "bcc", "subject", "sentAt", "hasAttachment", "preview",
	"bodyStructure", "textBody", "htmlBody", "attachments", "bodyValues",
	"sender", "replyTo", "snoozed", NULL,
};
/* RFC 8621's default less bodyStructure (asked for by name only). */
static const char *const email_default[] = {
	"id", "blobId", "threadId", "mailboxIds", "keywords", "size",
	"receivedAt", "messageId", "inReplyTo", "references", "sender", "from",
	"to", "cc", "bcc", "replyTo", "subject", "sentAt", "hasAttachment",
	"preview", "bodyValues", "textBody", "htmlBody", "attachments", NULL,
};

static json_t *
text_or_null(const struct store_text *t)
{
	json_t *s = t->n ? json_stringn(t->p, t->n) : NULL;
	return s ? s : json_null();
}

static json_t *
or_null(json_t *v)
{
	return v ? v : json_null();
}

/* The fetched copy of one email. */
struct got {
	json_t *obj;
	uint32_t flags;
	uint64_t keywords;
	uint8_t blobid[STORE_BLOBID_LEN];
};

static int
got_msg(void *arg, const struct store_msg *m)
{
	struct got *g = arg;
	char id[JMAP_ID_MAX], blob[JMAP_BLOBID_MAX], recv[32], sent[32];
	jmap_blobid_fmt(blob, m->blobid, 0);
	jmap_id_fmt(id, 'T', m->threadid);
	jmap_utc_date(recv, sizeof(recv), m->internaldate);
	jmap_utc_date(sent, sizeof(sent), m->sentdate);
	g->flags = m->flags;
	memcpy(g->blobid, m->blobid, sizeof(g->blobid));
	g->keywords = m->keywords;
	json_decref(g->obj);
	g->obj = json_pack("{ss ss sI ss so so so so so so so so ss? sb so}",
	    "blobId", blob, "threadId", id, "size", (json_int_t)m->size,
	    "receivedAt", recv,
	    "messageId", or_null(jmap_msgid_list(m->message_id.p,
	    m->message_id.n)),
	    "inReplyTo", or_null(jmap_msgid_list(m->in_reply_to.p,
	    m->in_reply_to.n)),
	    "references", or_null(jmap_msgid_list(m->references.p,
	    m->references.n)),
	    "from", or_null(jmap_addr_list(m->from.p, m->from.n)),
	    "to", or_null(jmap_addr_list(m->to.p, m->to.n)),
	    "cc", or_null(jmap_addr_list(m->cc.p, m->cc.n)),
	    "bcc", or_null(jmap_addr_list(m->bcc.p, m->bcc.n)),
	    "subject", text_or_null(&m->subject),
	    "sentAt", m->sentdate ? sent : NULL,
	    "hasAttachment", (m->info & STORE_INFO_HAS_ATTACHMENT) != 0,
	    "preview", text_or_null(&m->preview));
	return 0;
}

static json_t *
keywords(struct store_conn *sc, uint32_t flags, uint64_t mask)
{
	json_t *k = json_object();
	for (uint32_t f = 1; f <= JMAP_FLAGS; f <<= 1)
		if ((flags & JMAP_FLAGS & f) && jmap_flag_keyword(f) != NULL)
			json_object_set_new(k, jmap_flag_keyword(f), json_true());
	for (unsigned bit = 0; bit < 64; bit++) {
		const char *name = (mask >> bit) & 1 ?
		    store_keyword_name(sc, bit) : NULL;
		char lower[STORE_KEYWORD_MAX + 1];
		size_t i = 0;
		/* JMAP keywords are lower case (RFC 8621 section 4.1.1);
		 * IMAP's $Junk is JMAP's $junk */
		for (; name != NULL && name[i] != '\0' && i < STORE_KEYWORD_MAX;
		    i++)
			lower[i] = (char)tolower((unsigned char)name[i]);
		lower[i] = '\0';
		if (name != NULL)
			json_object_set_new(k, lower, json_true());
	}
	return k;
}

/* The body properties of the message at loc, added to obj. */
static int
add_body(struct store_conn *sc, const struct store_email_loc *loc,
    json_t *obj, struct jmap_body_args *ba, const uint8_t *blobid)
{
	void *p;
	size_t size;
	int rc = jmap_message_map(sc, loc, &p, &size);
	if (rc != STORE_OK)
		return rc;
	/* values past the response limit: the request's, not the store's */
	ba->blobid = blobid;
	int r = jmap_body_add(obj, p ? p : "", p ? size : 0, ba);
	rc = r == -2 ? STORE_E_LIMIT : r < 0 ? STORE_E_INTERNAL : STORE_OK;
	jmap_message_unmap(p, size);
	return rc;
}

/* The Email object of emailid (with the body properties when ba is not
 * NULL); NULL with rc STORE_E_NOTFOUND when there is no such email,
 * other rc on a store failure. */
static json_t *
email_json(struct store_conn *sc, uint64_t emailid,
    struct jmap_body_args *ba, int *rc)
{
	struct jmap_copies l;
	struct got g = { 0 };
	struct store_uids one = { 0 };
	char id[JMAP_ID_MAX];
	*rc = jmap_email_copies(sc, emailid, &l);
	if (*rc == STORE_OK && store_uids_add(&one, l.v[0].uid, l.v[0].uid) < 0)
		*rc = STORE_E_INTERNAL;
	if (*rc != STORE_OK) {
		free(l.v);
		return NULL;
	}
	*rc = store_fetch(sc, l.v[0].mailbox_id, &one, STORE_F_FLAGS |
	    STORE_F_INTERNALDATE | STORE_F_SIZE | STORE_F_IDS |
	    STORE_F_SENTDATE | STORE_F_ADDRS | STORE_F_PREVIEW, 0, got_msg, &g);
	store_uids_free(&one);
	if (*rc == STORE_OK && g.obj == NULL)
		*rc = STORE_E_NOTFOUND;   /* expunged meanwhile */
	if (*rc == STORE_OK && ba != NULL)
		*rc = add_body(sc, &l.v[0], g.obj, ba, g.blobid);
	if (*rc != STORE_OK) {
		json_decref(g.obj);
		free(l.v);
		return NULL;
	}
	json_t *mb = json_object();
	for (size_t i = 0; i < l.n; i++) {
		jmap_id_fmt(id, 'M', l.v[i].mailbox_id);
		json_object_set_new(mb, id, json_true());
	}
	free(l.v);
	jmap_id_fmt(id, 'E', emailid);
	json_object_set_new(g.obj, "id", json_string(id));
	json_object_set_new(g.obj, "mailboxIds", mb);
	json_object_set_new(g.obj, "keywords", keywords(sc, g.flags,
	    g.keywords));
	return g.obj;
}

/* The snoozed values of the emails of ids, in one store request; an
 * empty map when the property was not asked for. */
static json_t *
snoozes_of(struct jmap_call *c, json_t *ids, json_t *props, int *rc)
{
	*rc = STORE_OK;
	if (json_object_get(props, "snoozed") == NULL)
		return json_object();
	uint64_t *v = calloc(json_array_size(ids) + 1, sizeof(*v));
	size_t n = 0, i;
	json_t *x;
	if (v == NULL) {
		*rc = STORE_E_INTERNAL;
		return NULL;
	}
	json_array_foreach(ids, i, x)
		if (jmap_id_parse(c, json_string_value(x), 'E', &v[n]))
			n++;
	json_t *map = jmap_snooze_get_many(c->account->store, v, n, rc);
	free(v);
	return map;
}

json_t *
jmap_email_get(struct jmap_call *c, json_t **err)
{
	json_t *ids, *props = NULL, *res = NULL, *v, *snoozes = NULL;
	char state[JMAP_ID_MAX];
	size_t i;
	struct jmap_body_args ba = { 0 };
	if (!jmap_check_account(c, err) || !jmap_get_ids(c, &ids, err) ||
	    !jmap_get_properties(c, jmap_email_props, email_default,
	    jmap_header_prop_ok, &props, err))
		goto out;
	ba.props = props;
	if (!jmap_body_args_parse(c->args, &ba)) {
		*err = jmap_error("invalidArguments", "fetch*BodyValues, "
		    "maxBodyValueBytes, bodyProperties");
		goto out;
	}
	if (ids == NULL) {
		*err = jmap_error("requestTooLarge", "ids is required");
		goto out;
	}
	if (!jmap_state(c, state, err))
		goto out;
	int src;
	if ((snoozes = snoozes_of(c, ids, props, &src)) == NULL) {
		*err = jmap_store_error(c, src);
		goto out;
	}
	res = jmap_get_response(c, state);
	json_array_foreach(ids, i, v) {
		uint64_t id;
		int rc = STORE_E_NOTFOUND;
		json_t *o = jmap_id_parse(c, json_string_value(v), 'E', &id) ?
		    email_json(c->account->store, id, jmap_body_wanted(props) ?
		    &ba : NULL, &rc) : NULL;
		if (o != NULL && json_object_get(props, "snoozed") != NULL) {
			json_t *sn = json_object_get(snoozes, json_string_value(
			    json_object_get(o, "id")));
			json_object_set_new(o, "snoozed", sn ? json_incref(sn) :
			    json_null());
		}
		if (o != NULL) {
			jmap_filter_properties(o, props);
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
out:
	jmap_body_args_free(&ba);
	json_decref(props);
	json_decref(snoozes);
	return res;
}

json_t *
jmap_email_changes(struct jmap_call *c, json_t **err)
{
	return jmap_changes(c, store_email_changes, 'E', err);
}
