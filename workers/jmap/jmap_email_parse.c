/* jmap_email_parse: Email/parse (RFC 8621 section 4.9).
 *
 * A blob of the user's (an upload, a message's content, or a part of a
 * message whose type is message/rfc822) is read from stored, parsed in
 * memory with the workers' MIME code, and answered as an Email that is
 * in no mailbox: id, threadId, mailboxIds, keywords and receivedAt are
 * null. The header and body properties are Email/get's (jmap_headers_add,
 * jmap_body_add); the convenience header properties are their
 * header:{name}:as{Form} equivalents. */
#include "jmap_blob.h"
#include "jmap_email_body.h"
#include "jmap_email_common.h"
#include "jmap_email_header.h"
#include "mime.h"
#include "msgmeta.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A blob is parsed in memory: larger ones are notParsable. */
#define PARSE_SOURCE_MAX (64u << 20)

/* RFC 8621 section 4.9's default list. */
static const char *const parse_default[] = {
	"messageId", "inReplyTo", "references", "sender", "from", "to", "cc",
	"bcc", "replyTo", "subject", "sentAt", "hasAttachment", "preview",
	"bodyValues", "textBody", "htmlBody", "attachments", NULL,
};
/* The convenience properties and the header forms they are. */
static const char *const header_alias[][2] = {
	{ "messageId", "header:Message-ID:asMessageIds" },
	{ "inReplyTo", "header:In-Reply-To:asMessageIds" },
	{ "references", "header:References:asMessageIds" },
	{ "from", "header:From:asAddresses" },
	{ "to", "header:To:asAddresses" },
	{ "cc", "header:Cc:asAddresses" },
	{ "bcc", "header:Bcc:asAddresses" },
	{ "subject", "header:Subject:asText" },
	{ "sentAt", "header:Date:asDate" },
};
#define NALIAS (sizeof(header_alias) / sizeof(header_alias[0]))

/* The bytes of blob id s appended to out: 0, or -1 not found, -2 not a
 * message (a part that is not message/rfc822, too large), -3 the store
 * failed (rc). */
static int
blob_bytes(struct jmap_call *c, const char *s, struct buf *out, int *rc)
{
	uint8_t id[STORE_BLOBID_LEN], *bytes = NULL;
	uint32_t part = 0;
	uint64_t size = 0;
	int fd = -1;
	char type[128];
	if (s == NULL || !jmap_blobid_parse(s, id, &part))
		return -1;
	*rc = store_blob_get(c->account->store, id, &fd, &size);
	if (*rc == STORE_E_NOTFOUND)
		return -1;
	if (*rc != STORE_OK)
		return -3;
	int r = jmap_blob_read(fd, size, PARSE_SOURCE_MAX, &bytes);
	close(fd);
	if (r < 0)
		return -2;
	if (part == 0)
		r = buf_append(out, bytes, (size_t)size);
	else if (jmap_blob_part(bytes, (size_t)size, part, out, type,
	    sizeof(type)) < 0)
		r = -1;   /* no such part */
	else if (strcasecmp(type, "message/rfc822") != 0)
		r = -2;
	free(bytes);
	return r == 0 && out->failed ? -2 : r;
}

/* The header and summary properties of m that Email/get takes from the
 * store's index, added to obj. -1 without memory. */
static int
add_summary(json_t *obj, const struct mime_msg *m, json_t *props)
{
	json_t *hp = json_object();
	for (size_t i = 0; i < NALIAS; i++)
		if (json_object_get(props, header_alias[i][0]) != NULL)
			json_object_set_new(hp, header_alias[i][1], json_true());
	json_t *tmp = json_object();
	jmap_headers_add(tmp, m, 0, hp);
	for (size_t i = 0; i < NALIAS; i++) {
		json_t *v = json_object_get(tmp, header_alias[i][1]);
		if (v != NULL)
			json_object_set(obj, header_alias[i][0], v);
	}
	json_decref(tmp);
	json_decref(hp);
	jmap_headers_add(obj, m, 0, props);
	if (json_object_get(props, "preview") == NULL &&
	    json_object_get(props, "hasAttachment") == NULL)
		return 0;
	struct msgmeta mm;
	if (msgmeta_build(&mm, m, NULL) < 0)
		return -1;
	json_object_set_new(obj, "hasAttachment",
	    json_boolean(msgmeta_has_attachment(m)));
	json_object_set_new(obj, "preview", json_string(mm.meta.preview ?
	    mm.meta.preview : ""));
	msgmeta_free(&mm);
	return 0;
}

/* The Email of one blob's bytes; NULL: not parsable (*oom on no memory
 * or past the response budget). */
static json_t *
parse_one(const char *blobid, const struct buf *b, json_t *props,
    struct jmap_body_args *ba, bool *oom)
{
	struct mime_msg m;
	if (!jmap_looks_like_message(b->data, b->len) ||
	    mime_parse(&m, b->data, b->len, NULL) < 0)
		return NULL;
	json_t *o = json_pack("{sn sn sn sn sn ss sI}", "id", "threadId",
	    "mailboxIds", "keywords", "receivedAt", "blobId", blobid,
	    "size", (json_int_t)b->len);
	uint8_t id[STORE_BLOBID_LEN];
	uint32_t part = 0;
	/* a part's own parts have no blob id of the form G<hex>P<n> */
	bool whole = jmap_blobid_parse(blobid, id, &part) && part == 0;
	int r = o != NULL ? add_summary(o, &m, props) : -1;
	mime_free(&m);
	if (r == 0 && jmap_body_wanted(props)) {
		ba->blobid = whole ? id : NULL;
		r = jmap_body_add(o, b->data, b->len, ba);
		ba->blobid = NULL;
	}
	if (r < 0) {
		*oom = true;
		json_decref(o);
		return NULL;
	}
	jmap_filter_properties(o, props);
	return o;
}

/* Parse every blob of ids into res; false with *err set on a failure. */
static bool
parse_all(struct jmap_call *c, json_t *ids, json_t *props,
    struct jmap_body_args *ba, json_t *res, json_t **err)
{
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		const char *s = json_string_value(v);
		struct buf b = BUF_INIT(PARSE_SOURCE_MAX);
		int rc = STORE_OK;
		bool oom = false;
		int r = blob_bytes(c, s, &b, &rc);
		json_t *o = r == 0 ? parse_one(s, &b, props, ba, &oom) : NULL;
		buf_free(&b);
		if (r == -3 || oom) {
			*err = oom ? jmap_error("requestTooLarge", "the parsed "
			    "emails are too large") : jmap_store_error(c, rc);
			return false;
		}
		if (o != NULL)
			json_object_set_new(json_object_get(res, "parsed"), s, o);
		else
			json_array_append(json_object_get(res, r == -1 ?
			    "notFound" : "notParsable"), v);
	}
	return true;
}

static bool
id_asked(json_t *list)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), "id") == 0)
			return true;
	return false;
}

json_t *
jmap_email_parse(struct jmap_call *c, json_t **err)
{
	json_t *props = NULL, *res = NULL, *v;
	size_t i;
	struct jmap_body_args ba = { 0 };
	json_t *ids = json_object_get(c->args, "blobIds");
	if (!jmap_check_account(c, err) || !jmap_get_properties(c,
	    jmap_email_props, parse_default, jmap_header_prop_ok, &props, err))
		goto out;
	/* "id" is always there for /get, but here only when asked for */
	if (!id_asked(json_object_get(c->args, "properties")))
		json_object_del(props, "id");
	ba.props = props;
	bool ok = json_is_array(ids);
	json_array_foreach(ids, i, v)
		ok = ok && json_is_string(v);
	if (!ok || !jmap_body_args_parse(c->args, &ba)) {
		*err = jmap_error("invalidArguments", "blobIds, "
		    "fetch*BodyValues, maxBodyValueBytes, bodyProperties");
		goto out;
	}
	if (json_array_size(ids) > c->account->limits->max_objects_in_get) {
		*err = jmap_error("requestTooLarge", "more blobIds than "
		    "maxObjectsInGet");
		goto out;
	}
	res = json_pack("{ss s{} s[] s[]}", "accountId",
	    c->account->account_id, "parsed", "notParsable", "notFound");
	if (res != NULL && !parse_all(c, ids, props, &ba, res, err)) {
		json_decref(res);
		res = NULL;
	}
out:
	jmap_body_args_free(&ba);
	json_decref(props);
	return res;
}
