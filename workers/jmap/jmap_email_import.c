/* jmap_email_import: Email/import (RFC 8621 section 4.8).
 *
 * An import names a blob of the user's (an upload, or a message's
 * content), mailboxes, keywords and receivedAt. The store parses no text,
 * so this process reads the blob from stored (a read-only fd), parses it
 * with the MIME code imapd's APPEND uses, and hands stored the metadata
 * alone: stored appends the blob's bytes from its own file
 * (STORE_BLOB_APPEND), so the message does not travel back. */
#include "jmap_blob.h"
#include "jmap_email_common.h"
#include "jmap_set.h"
#include "mime.h"
#include "msgmeta.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* A blob is parsed in memory: larger ones are not imported. */
#define IMPORT_SOURCE_MAX (64u << 20)

struct import {
	uint8_t blob[STORE_BLOBID_LEN];
	uint64_t size;
	uint64_t *mbox;                /* maxMailboxesPerEmail is null */
	struct store_email_loc *done;  /* the copy made in each mailbox */
	size_t nmbox;
	uint32_t flags;
	char kw[STORE_MAX_KEYWORDS][STORE_KEYWORD_MAX + 1];
	const char *kwp[STORE_MAX_KEYWORDS];
	size_t nkw;
	uint64_t received;
};

/* "2026-01-31T12:00:00Z" (seconds, UTC) as unix time. */
static bool
utc_date(const char *s, uint64_t *t)
{
	struct tm tm = { 0 };
	const char *rest = s != NULL ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) :
	    NULL;
	time_t x = rest != NULL && rest[0] == 'Z' && rest[1] == '\0' ?
	    timegm(&tm) : -1;
	*t = x >= 0 ? (uint64_t)x : 0;
	return x >= 0;
}

/* One keyword: a system flag, or a name the store can keep (IMAP atom
 * characters, lowercased: JMAP keywords are case-insensitive). */
static bool
add_keyword(struct import *im, const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > STORE_KEYWORD_MAX ||
	    strpbrk(k, "(){]%*\"\\") != NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)k[i] <= ' ' || (unsigned char)k[i] >= 127)
			return false;
	uint32_t flag = jmap_keyword_flag(k);
	if (flag != 0) {
		im->flags |= flag;
		return true;
	}
	if (im->nkw == STORE_MAX_KEYWORDS)
		return false;
	for (size_t i = 0; i <= n; i++)
		im->kw[im->nkw][i] = (char)tolower((unsigned char)k[i]);
	im->kwp[im->nkw] = im->kw[im->nkw];
	im->nkw++;
	return true;
}

/* The EmailImport object v into im; a SetError if it is not one. */
static json_t *
import_args(struct jmap_call *c, json_t *v, struct import *im)
{
	const char *k;
	json_t *x;
	uint32_t part = 1;
	json_t *boxes = json_object_get(v, "mailboxIds");
	json_t *kws = json_object_get(v, "keywords");
	json_t *recv = json_object_get(v, "receivedAt");
	const char *blob = json_string_value(json_object_get(v, "blobId"));
	if (blob == NULL || !jmap_blobid_parse(blob, im->blob, &part) ||
	    part != 0)
		return jmap_set_error("invalidProperties", "blobId");
	if (!json_is_object(boxes) || json_object_size(boxes) == 0)
		return jmap_set_error("invalidProperties", "mailboxIds");
	im->mbox = calloc(json_object_size(boxes), sizeof(im->mbox[0]));
	im->done = calloc(json_object_size(boxes), sizeof(im->done[0]));
	if (im->mbox == NULL || im->done == NULL)
		return jmap_set_error("tooLarge", "mailboxIds");
	json_object_foreach(boxes, k, x)
		if (!json_is_true(x) ||
		    !jmap_id_parse(c, k, 'M', &im->mbox[im->nmbox++]))
			return jmap_set_error("invalidProperties", "mailboxIds");
	if (kws != NULL && !json_is_object(kws))
		return jmap_set_error("invalidProperties", "keywords");
	json_object_foreach(kws, k, x)
		if (!json_is_true(x) || !add_keyword(im, k))
			return jmap_set_error("invalidProperties", "keywords");
	im->received = (uint64_t)time(NULL);
	if (recv != NULL && !utc_date(json_string_value(recv), &im->received))
		return jmap_set_error("invalidProperties", "receivedAt");
	return NULL;
}

/* Parse the blob into mm (metadata as imapd's APPEND builds it). A
 * SetError, or NULL with *rc the store's answer when that failed. */
static json_t *
blob_meta(struct jmap_call *c, const char *blobid, struct import *im,
    struct msgmeta *mm, int *rc)
{
	int fd = -1;
	uint64_t size = 0;
	uint8_t *bytes = NULL;
	*rc = store_blob_get(c->account->store, im->blob, &fd, &size);
	if (*rc == STORE_E_NOTFOUND) {
		json_t *e = jmap_set_error("blobNotFound", NULL);
		json_object_set_new(e, "notFound", json_pack("[s]", blobid));
		return e;
	}
	if (*rc < 0)
		return NULL;
	im->size = size;
	int r = jmap_blob_read(fd, size, IMPORT_SOURCE_MAX, &bytes);
	close(fd);
	if (r < 0)
		return jmap_set_error("tooLarge", NULL);
	json_t *e = NULL;
	struct mime_msg mime;
	if (!jmap_looks_like_message(bytes, (size_t)size) ||
	    mime_parse(&mime, bytes, (size_t)size, NULL) < 0)
		e = jmap_set_error("invalidEmail", NULL);
	else if ((r = msgmeta_build(mm, &mime, NULL), mime_free(&mime), r) < 0)
		e = jmap_set_error("tooLarge", NULL);
	free(bytes);
	return e;
}

/* An import that failed part way: the copies it made (done) go again.
 * Best effort: the failure is what is reported. */
static void
unimport(struct store_conn *sc, const struct store_email_loc *done, size_t n)
{
	for (size_t i = 0; i < n; i++)
		(void)jmap_expunge_copy(sc, &done[i]);
}

/* Import one; the created Email, or a SetError in *e (NULL both: the
 * store failed, *pending set). */
static json_t *
import_one(struct jmap_call *c, const char *blobid, json_t *v, int memfd,
    json_t **pending, json_t **e)
{
	static struct import im;
	static struct msgmeta mm;
	int rc = STORE_OK;
	free(im.mbox);
	free(im.done);
	memset(&im, 0, sizeof(im));
	if ((*e = import_args(c, v, &im)) != NULL ||
	    (*e = blob_meta(c, blobid, &im, &mm, &rc)) != NULL)
		return NULL;
	if (rc < 0) {
		*e = jmap_store_set_error(c, rc, pending);
		return NULL;
	}
	mm.meta.internaldate = im.received;
	mm.meta.tzoff = 0;
	mm.meta.flags = im.flags;
	mm.meta.keywords = im.kwp;
	mm.meta.nkeywords = im.nkw;
	struct store_append_result res = { 0 };
	size_t n = 0;
	for (; n < im.nmbox && rc == STORE_OK; n++) {
		rc = store_blob_append(c->account->store, im.mbox[n], NULL,
		    im.blob, memfd, &mm.meta, &res);
		im.done[n] = (struct store_email_loc){ res.emailid,
		    res.mailbox_id, res.uid };
	}
	msgmeta_free(&mm);
	if (rc != STORE_OK && n > 1)
		unimport(c->account->store, im.done, n - 1);
	if (rc == STORE_E_NOTFOUND) {   /* the blob was there: the mailbox */
		*e = jmap_set_error("invalidProperties", "mailboxIds");
		return NULL;
	}
	if (rc != STORE_OK) {
		*e = jmap_store_set_error(c, rc, pending);
		return NULL;
	}
	char id[JMAP_ID_MAX], thread[JMAP_ID_MAX], blob[JMAP_BLOBID_MAX];
	jmap_id_fmt(id, 'E', res.emailid);
	jmap_id_fmt(thread, 'T', res.threadid);
	jmap_blobid_fmt(blob, res.blobid, 0);
	return json_pack("{ss ss ss sI}", "id", id, "blobId", blob,
	    "threadId", thread, "size", (json_int_t)im.size);
}

json_t *
jmap_email_import(struct jmap_call *c, json_t **err)
{
	char old[JMAP_ID_MAX], new[JMAP_ID_MAX];
	json_t *emails = json_object_get(c->args, "emails");
	const char *want = json_string_value(json_object_get(c->args,
	    "ifInState"));
	if (!jmap_check_account(c, err))
		return NULL;
	if (!json_is_object(emails)) {
		*err = jmap_error("invalidArguments", "emails");
		return NULL;
	}
	if (json_object_size(emails) > c->account->limits->max_objects_in_set) {
		*err = jmap_error("requestTooLarge", "more emails than "
		    "maxObjectsInSet");
		return NULL;
	}
	if (!jmap_state(c, old, err))
		return NULL;
	if (want != NULL && strcmp(want, old) != 0) {
		*err = jmap_error("stateMismatch", NULL);
		return NULL;
	}
	int memfd = memfd_create("jmap-import", MFD_CLOEXEC);
	if (memfd < 0) {
		*err = jmap_error("serverFail", "no memory for the metadata");
		return NULL;
	}
	json_t *created = json_object(), *not_created = json_object();
	json_t *pending = NULL, *v;
	const char *cid;
	json_object_foreach(emails, cid, v) {
		json_t *e = NULL;
		const char *blobid = json_string_value(json_object_get(v,
		    "blobId"));
		json_t *em = import_one(c, blobid ? blobid : "", v, memfd,
		    &pending, &e);
		if (pending != NULL)
			break;
		if (em != NULL) {
			json_object_set(c->created_ids, cid,
			    json_object_get(em, "id"));
			json_object_set_new(created, cid, em);
		} else {
			json_object_set_new(not_created, cid, e);
		}
	}
	close(memfd);
	if (pending != NULL || !jmap_state(c, new, err)) {
		json_decref(created);
		json_decref(not_created);
		if (*err == NULL)
			*err = pending;
		else
			json_decref(pending);
		return NULL;
	}
	return json_pack("{ss ss ss so so}", "accountId",
	    c->account->account_id, "oldState", old, "newState", new,
	    "created", created, "notCreated", not_created);
}
