/*
 * jmap_email_set_create: Email/set create (RFC 8621 section 4.6). The
 * message is built from the object (jmap_build, no I/O; attachments read
 * through the store's blob fetch, the one downloads use), parsed back
 * with workers/shared MIME for the same metadata lmtpd and imapd send,
 * and handed to stored in a memfd like an IMAP APPEND: into the first
 * mailbox, then copied into the others.
 */
#include "jmap_email_set.h"
#include "jmap_blob.h"
#include "jmap_build.h"
#include "jmap_set.h"
#include "msgmeta.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* What one create asks of the store besides the message. */
struct target {
	uint64_t mbox[64];
	size_t nmbox;
	uint32_t flags;
	const char *kw[STORE_MAX_KEYWORDS];
	size_t nkw;
	int64_t received;
};

/* Blobs read for one build, freed after it. */
struct blobs {
	struct jmap_call *c;
	json_t **method_err;
	struct buf held[16];
	size_t n;
	size_t total;                  /* bytes held: at most the message's */
};

static json_t *
bad(const char *prop)
{
	return jmap_set_error("invalidProperties", prop);
}

static json_t *
read_target(struct jmap_call *c, json_t *o, struct target *t)
{
	json_t *mb = json_object_get(o, "mailboxIds"), *v;
	json_t *kw = json_object_get(o, "keywords");
	json_t *rcv = json_object_get(o, "receivedAt");
	const char *k;
	if (!json_is_object(mb) || json_object_size(mb) == 0 ||
	    json_object_size(mb) > 64)
		return bad("mailboxIds");
	json_object_foreach(mb, k, v)
		if (!json_is_true(v) || !jmap_id_parse(c, k, 'M',
		    &t->mbox[t->nmbox++]))
			return bad("mailboxIds");
	if (kw != NULL && !json_is_null(kw) && !json_is_object(kw))
		return bad("keywords");
	json_object_foreach(kw, k, v) {
		uint32_t f;
		if (!json_is_true(v) || !jmap_keyword_ok(k, &f))
			return bad("keywords");
		if (f != 0)
			t->flags |= f;
		else if (t->nkw < STORE_MAX_KEYWORDS)
			t->kw[t->nkw++] = k;
		else
			return bad("keywords");
	}
	t->received = (int64_t)time(NULL);
	if (rcv != NULL && !json_is_null(rcv)) {
		struct tm tm = { 0 };
		const char *s = json_string_value(rcv);
		const char *e = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
		if (e != NULL && *e == '.')     /* fractions of a second */
			e += 1 + strspn(e + 1, "0123456789");
		if (e == NULL || strcmp(e, "Z") != 0)
			return bad("receivedAt");
		t->received = (int64_t)timegm(&tm);
	}
	return NULL;
}

/* ---- blobs for attachments ---------------------------------------------- */

static int
read_fd(int fd, uint64_t size, struct buf *b)
{
	if (buf_reserve(b, (size_t)size) < 0)
		return -1;
	for (size_t off = 0; off < size; ) {
		ssize_t n = pread(fd, b->data + off, (size_t)size - off,
		    (off_t)off);
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	b->len = (size_t)size;
	return 0;
}

/* jmap_build's blob reader: a message, or one part of it decoded. */
static int
blob_get(void *arg, const char *blobid, struct jmap_build_blob *out)
{
	struct blobs *bl = arg;
	uint8_t id[STORE_BLOBID_LEN];
	uint32_t part;
	int fd = -1;
	uint64_t size = 0;
	size_t max = bl->c->account->limits->max_size_upload;
	if (!jmap_blobid_parse(blobid, id, &part))
		return JMAP_BLOB_NOTFOUND;
	if (bl->n == 16)
		return JMAP_BLOB_TOOLARGE;
	int rc = store_blob_get(bl->c->account->store, id, &fd, &size);
	if (rc == STORE_E_NOTFOUND)
		return JMAP_BLOB_NOTFOUND;
	if (rc != STORE_OK) {
		jmap_store_set_error(bl->c, rc, bl->method_err);
		return JMAP_BLOB_FAIL;
	}
	struct buf msg = BUF_INIT(max);
	struct buf *held = &bl->held[bl->n];
	buf_init(held, max);
	if (size > max - bl->total) {
		close(fd);
		return JMAP_BLOB_TOOLARGE;
	}
	rc = read_fd(fd, size, &msg);
	close(fd);
	out->type[0] = '\0';
	if (rc == 0 && part == 0) {
		*held = msg;
		memcpy(out->type, "message/rfc822", 15);
	} else {
		if (rc == 0 && jmap_blob_part(msg.data, msg.len, part, held,
		    out->type, sizeof(out->type)) < 0)
			rc = 1;
		buf_free(&msg);
	}
	if (rc != 0) {
		buf_free(held);
		return rc > 0 ? JMAP_BLOB_NOTFOUND : JMAP_BLOB_FAIL;
	}
	bl->n++;
	bl->total += held->len;
	out->p = held->data ? held->data : (const uint8_t *)"";
	out->n = held->len;
	return 0;
}

static json_t *
build_error(const struct jmap_build_err *e)
{
	if (strcmp(e->type, "blobNotFound") == 0) {
		json_t *r = jmap_set_error("blobNotFound", NULL);
		json_object_set_new(r, "notFound", json_pack("[s]", e->blobid));
		return r;
	}
	return jmap_set_error(e->type, e->property[0] ? e->property : NULL);
}

/* ---- into the store ------------------------------------------------------------ */

static int
memfd_of(const struct buf *m)
{
	int fd = memfd_create("jmap-create", MFD_CLOEXEC);
	for (size_t off = 0; fd >= 0 && off < m->len; ) {
		ssize_t n = write(fd, m->data + off, m->len - off);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	return fd;
}

/* Append to the first mailbox with the metadata the MIME code computes,
 * copy into the rest; if a copy fails, the email goes again (all or
 * nothing: a client that retries must not find half of it). */
static int
store_message(struct jmap_call *c, const struct buf *m,
    const struct target *t, struct store_append_result *res)
{
	static struct msgmeta mm;
	struct mime_msg mime;
	if (mime_parse(&mime, m->data, m->len, NULL) < 0)
		return STORE_E_INTERNAL;
	int rc = msgmeta_build(&mm, &mime, NULL);
	mime_free(&mime);
	if (rc < 0)
		return STORE_E_INTERNAL;
	mm.meta.internaldate = (uint64_t)t->received;
	mm.meta.flags = t->flags;
	mm.meta.keywords = t->kw;
	mm.meta.nkeywords = t->nkw;
	int fd = memfd_of(m);
	rc = fd < 0 ? STORE_E_INTERNAL : store_append(c->account->store,
	    t->mbox[0], NULL, fd, m->len, &mm.meta, res);
	if (fd >= 0)
		close(fd);
	msgmeta_free(&mm);
	for (size_t i = 1; rc == STORE_OK && i < t->nmbox; i++) {
		struct store_uids u = { 0 };
		struct store_copy_result cr = { 0 };
		if (t->mbox[i] == t->mbox[0])
			continue;
		rc = store_uids_add(&u, res->uid, res->uid) < 0 ?
		    STORE_E_INTERNAL : store_copy(c->account->store,
		    res->mailbox_id, &u, t->mbox[i], &cr);
		store_uids_free(&u);
		store_uids_free(&cr.src);
		store_uids_free(&cr.dst);
		if (rc != STORE_OK && rc != STORE_E_IO && rc != STORE_E_PROTO)
			(void)jmap_email_expunge(c->account->store, res->emailid);
	}
	return rc;
}

static json_t *
created_object(const struct store_append_result *r, size_t size)
{
	char id[JMAP_ID_MAX], th[JMAP_ID_MAX], blob[JMAP_BLOBID_MAX];
	jmap_id_fmt(id, 'E', r->emailid);
	jmap_id_fmt(th, 'T', r->threadid);
	jmap_blobid_fmt(blob, r->blobid, 0);
	return json_pack("{s:s, s:s, s:s, s:I}", "id", id, "blobId", blob,
	    "threadId", th, "size", (json_int_t)size);
}

static json_t *
create_one(struct jmap_call *c, json_t *o, json_t **done, json_t **method_err)
{
	struct target t = { 0 };
	struct jmap_build_env env = { 0 };
	struct jmap_build_err be;
	struct blobs bl = { .c = c, .method_err = method_err };
	if (!json_is_object(o))
		return bad(NULL);
	json_t *e = read_target(c, o, &t);
	if (e != NULL)
		return e;
	const char *at = strchr(c->account->username, '@');
	env.domain = c->account->domain ? c->account->domain :
	    at ? at + 1 : "localhost";
	env.now = (int64_t)time(NULL);
	env.blob = blob_get;
	env.blob_arg = &bl;
	env.max_size = c->account->limits->max_size_upload;
	if (getrandom(env.random, sizeof(env.random), 0) !=
	    (ssize_t)sizeof(env.random))
		return jmap_set_error("serverFail", NULL);
	struct buf m = BUF_INIT(env.max_size + 1);
	int rc = jmap_build(o, &env, &m, &be);
	for (size_t i = 0; i < bl.n; i++)
		buf_free(&bl.held[i]);
	if (rc < 0) {
		buf_free(&m);
		return *method_err ? NULL : build_error(&be);
	}
	struct store_append_result res = { 0 };
	rc = store_message(c, &m, &t, &res);
	if (rc == STORE_OK)
		*done = created_object(&res, m.len);
	buf_free(&m);
	if (rc == STORE_E_NOTFOUND)
		return bad("mailboxIds");
	return rc == STORE_OK ? NULL : jmap_store_set_error(c, rc, method_err);
}

void
jmap_email_create(struct jmap_call *c, json_t *create, json_t *created,
    json_t *not_created, json_t **method_err)
{
	const char *cid;
	json_t *o;
	json_object_foreach(create, cid, o) {
		json_t *done = NULL;
		json_t *e = create_one(c, o, &done, method_err);
		if (*method_err != NULL) {
			json_decref(e);
			json_decref(done);
			return;
		}
		if (e != NULL) {
			json_object_set_new(not_created, cid, e);
			continue;
		}
		json_object_set(c->created_ids, cid, json_object_get(done,
		    "id"));
		json_object_set_new(created, cid, done);
	}
}
