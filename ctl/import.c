/* import: the sink every source calls (import_source.h, import.h). It
 * owns the store side: each folder found or created with the source's
 * UIDVALIDITY, what it holds listed once (UIDs and content hashes) so a
 * second run copies nothing, and the messages sent in batches, each one
 * transaction, so that a run killed at any point resumes where the store
 * stopped. cloisterctl never writes the spool itself. */
#include "import.h"
#include "ctl.h"
#include "import_maildir_parse.h"
#include "import_seen.h"
#include "mime.h"
#include "msgmeta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A batch goes when it has this many message bytes (or is full). */
#define BATCH_BYTES (8u * 1024 * 1024)
#define PROGRESS_NS 100000000ll     /* at most ten updates a second */

struct held {
	uint32_t uid;
	uint8_t hash[IMPORT_HASH_LEN];
};

struct import_state {
	struct store_conn *sc;
	const struct import_args *a;
	bool in_folder;
	char folder[STORE_MBOX_NAME_MAX + 1];
	uint32_t src_uidvalidity, src_uidnext;
	struct store_import_mbox_result mb;
	uint32_t next_uid;          /* the least UID the store still takes */
	struct held *held;          /* what the folder holds, in UID order */
	size_t nheld, capheld;
	bool list_short;            /* out of memory while listing it */
	struct import_seen seen;    /* content the folder holds */
	struct store_import_batch batch;
	struct import_totals t;
	int64_t last_progress;
};

static int64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void
progress(struct import_state *st, bool force)
{
	if (!st->a->progress)
		return;
	int64_t t = now_ns();
	if (!force && t - st->last_progress < PROGRESS_NS)
		return;
	st->last_progress = t;
	fprintf(stderr, "\r\033[K%.60s: %llu copied, %llu skipped, %.1f MB",
	    st->folder, (unsigned long long)st->t.copied,
	    (unsigned long long)st->t.skipped, (double)st->t.bytes / 1e6);
	fflush(stderr);
}

static int
fail(struct import_state *st, int rc, const char *what)
{
	char w[STORE_MBOX_NAME_MAX + 64];
	if (st->a->progress)
		fputc('\n', stderr);
	snprintf(w, sizeof(w), "import %s: %s", st->folder, what);
	return -ctl_store_error(st->sc, rc, w);
}

static int
flush(struct import_state *st)
{
	if (st->batch.n == 0)
		return 0;
	uint32_t n = st->batch.n;
	uint64_t bytes = st->batch.msgbytes;
	int rc = store_adm_import_append(st->sc, st->a->user, st->mb.id,
	    &st->batch, NULL);
	if (rc < 0)
		return fail(st, rc, "appending messages");
	st->t.copied += n;
	st->t.bytes += bytes;
	progress(st, false);
	return 0;
}

static int
listed(void *arg, const struct store_listed *m)
{
	struct import_state *st = arg;
	if (st->nheld == st->capheld) {
		size_t cap = st->capheld ? st->capheld * 2 : 1024;
		struct held *h = realloc(st->held, cap * sizeof(*h));
		if (h == NULL)
			return st->list_short = true;
		st->held = h;
		st->capheld = cap;
	}
	st->held[st->nheld].uid = m->uid;
	memcpy(st->held[st->nheld++].hash, m->hash, IMPORT_HASH_LEN);
	if (import_seen_add(&st->seen, m->hash) < 0)
		return st->list_short = true;
	return 0;
}

/* The folder's UIDNEXT raised to the source's (what is in the batch
 * first): a client's cached UIDNEXT stays true, and a message the source
 * gave no UID comes after every UID the source has given. */
static int
raise_uidnext(struct import_state *st)
{
	if (!st->mb.keep || st->src_uidnext <= st->next_uid)
		return 0;
	int rc = flush(st);
	if (rc < 0)
		return rc;
	struct store_import_mbox in = { .name = st->folder,
		.uidvalidity = st->src_uidvalidity, .uidnext = st->src_uidnext };
	struct store_import_mbox_result res;
	if ((rc = store_adm_import_mbox(st->sc, st->a->user, &in, &res)) < 0)
		return fail(st, rc, "setting UIDNEXT");
	st->next_uid = res.uidnext;
	return 0;
}

static int
folder_end(struct import_state *st)
{
	if (!st->in_folder)
		return 0;
	int rc = raise_uidnext(st);
	if (rc == 0)
		rc = flush(st);
	st->in_folder = false;
	return rc;
}

static int
sink_folder(void *arg, const struct import_folder *f)
{
	struct import_state *st = arg;
	int rc = folder_end(st);
	if (rc < 0)
		return rc;
	snprintf(st->folder, sizeof(st->folder), "%s", f->name);
	struct store_import_mbox in = { .name = f->name,
		.uidvalidity = f->uidvalidity, .use = f->special_use & STORE_USE_MASK,
		.flags = (f->subscribed ? STORE_IMPORT_SUBSCRIBE : 0) |
		(st->a->force_new_uidvalidity ? STORE_IMPORT_NEW_UIDVALIDITY : 0) };
	rc = store_adm_import_mbox(st->sc, st->a->user, &in, &st->mb);
	if (rc == STORE_E_CONFLICT) {
		fail(st, rc, "refused");
		fprintf(stderr, "cloisterctl: (--force-new-uidvalidity imports "
		    "it with new UIDs: clients download that folder again)\n");
		return -CTL_REFUSED;
	}
	if (rc < 0)
		return fail(st, rc, "creating the mailbox");
	st->in_folder = true;
	st->src_uidvalidity = f->uidvalidity;
	st->src_uidnext = f->uidnext;
	st->t.folders++;
	st->nheld = 0;
	import_seen_clear(&st->seen);
	struct store_listed_mbox lm;
	st->list_short = false;
	if ((rc = store_adm_msg_list(st->sc, st->a->user, f->name, listed, st,
	    &lm)) < 0)
		return fail(st, rc, "listing what it holds");
	/* a partial list would copy what is there a second time */
	if (st->list_short)
		return fail(st, STORE_E_INTERNAL, "out of memory");
	st->next_uid = lm.uidnext;
	return 0;
}

static int
by_uid(const void *key, const void *elem)
{
	uint32_t k = *(const uint32_t *)key, u = ((const struct held *)elem)->uid;
	return (k > u) - (k < u);
}

static const struct held *
held_uid(struct import_state *st, uint32_t uid)
{
	if (!st->in_folder || !st->mb.keep || uid == 0 || st->nheld == 0)
		return NULL;   /* (bsearch of an empty, NULL array is undefined) */
	return bsearch(&uid, st->held, st->nheld, sizeof(*st->held), by_uid);
}

/* A source that asks before fetching (a remote one) skips what the
 * folder holds by UID alone: counted as skipped here. */
static bool
sink_have_uid(void *arg, uint32_t uid)
{
	struct import_state *st = arg;
	if (held_uid(st, uid) == NULL)
		return false;
	st->t.skipped++;
	progress(st, false);
	return true;
}

/* Is m there already: under its UID with the same bytes, or anywhere in
 * the folder with them? Another message under its UID (mail that reached
 * this server took the UID after the import), or a UID the folder has
 * passed: m goes in with a new UID rather than be lost. */
static bool
already_there(struct import_state *st, const struct import_msg *m)
{
	uint8_t h[IMPORT_HASH_LEN];
	import_hash(m->data, m->len, h);
	const struct held *e = held_uid(st, m->uid);
	if (e != NULL && memcmp(e->hash, h, IMPORT_HASH_LEN) == 0)
		return true;
	if (import_seen_has(&st->seen, h))
		return true;
	import_seen_add(&st->seen, h);
	return false;
}

static int
add_message(struct import_state *st, const struct import_msg *m)
{
	static struct msgmeta mm;
	struct mime_msg mime;
	if (mime_parse(&mime, m->data, m->len, NULL) < 0)
		return fail(st, STORE_E_INTERNAL, "out of memory");
	int rc = msgmeta_build(&mm, &mime, NULL);
	mime_free(&mime);
	if (rc < 0)
		return fail(st, STORE_E_INTERNAL, "out of memory");
	mm.meta.internaldate = m->internal_date > 0 ?
	    (uint64_t)m->internal_date : (uint64_t)time(NULL);
	mm.meta.flags = m->flags & STORE_FLAGS_ALL;
	/* a source's keywords may come from the mail itself (mbox's
	 * X-Keywords): only those imapd can write back as atoms */
	const char *kw[STORE_MAX_KEYWORDS];
	size_t nkw = 0;
	for (size_t i = 0; i < m->nkeywords && nkw < STORE_MAX_KEYWORDS; i++)
		if (md_keyword_ok(m->keywords[i], strlen(m->keywords[i])))
			kw[nkw++] = m->keywords[i];
	mm.meta.keywords = kw;
	mm.meta.nkeywords = nkw;
	/* the source's UID where the folder can still take it */
	uint32_t uid = st->mb.keep && m->uid >= st->next_uid ? m->uid : 0;
	rc = store_import_batch_add(st->sc, &st->batch, uid, m->data, m->len,
	    &mm.meta);
	msgmeta_free(&mm);
	if (rc < 0)
		return fail(st, rc, "a message");
	/* mirror the store's UIDNEXT: a UID given, or the next taken */
	st->next_uid = uid != 0 ? uid + 1 : st->next_uid + 1;
	return 0;
}

/* The message with CRLF line ends, as IMAP carries mail and the other
 * ways in (LMTP, APPEND) store it: Maildir and mbox files keep bare LFs.
 * m itself if it has none; NULL if out of memory. */
static const struct import_msg *
with_crlf(const struct import_msg *m, struct import_msg *tmp)
{
	static struct buf conv = BUF_INIT(2 * STORE_MSG_MAX);
	const char *p = m->data;
	bool bare = false;
	for (size_t i = 0; i < m->len && !bare; i++)
		bare = p[i] == '\n' && (i == 0 || p[i - 1] != '\r');
	if (!bare)
		return m;
	buf_reset(&conv);
	for (size_t i = 0, from = 0; i <= m->len; i++) {
		if (i < m->len && !(p[i] == '\n' && (i == 0 || p[i - 1] != '\r')))
			continue;
		buf_append(&conv, p + from, i - from);
		if (i < m->len)
			buf_append(&conv, "\r\n", 2);
		from = i + 1;
	}
	if (conv.failed || conv.len > STORE_MSG_MAX)
		return NULL;
	*tmp = *m;
	tmp->data = (const char *)conv.data;
	tmp->len = conv.len;
	return tmp;
}

static int
sink_message(void *arg, const struct import_msg *orig)
{
	struct import_state *st = arg;
	struct import_msg tmp;
	const struct import_msg *m = with_crlf(orig, &tmp);
	if (m == NULL)
		return fail(st, STORE_E_LIMIT, "a message too large");
	if (!st->in_folder)
		return fail(st, STORE_E_ARG, "a message before its folder");
	if (m->len == 0 || already_there(st, m)) {
		st->t.skipped++;
		progress(st, false);
		return 0;
	}
	int rc = m->uid == 0 ? raise_uidnext(st) : 0;
	if (rc == 0)
		rc = add_message(st, m);
	if (rc == 0 && (st->batch.n == STORE_IMPORT_BATCH_MAX ||
	    st->batch.msgbytes >= BATCH_BYTES))
		rc = flush(st);
	return rc;
}

struct import_state *
import_sink_new(struct store_conn *sc, const struct import_args *a,
    struct import_sink *out)
{
	struct import_state *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return NULL;
	st->sc = sc;
	st->a = a;
	if (store_import_batch_init(&st->batch) < 0) {
		free(st);
		return NULL;
	}
	*out = (struct import_sink){ .folder = sink_folder,
		.have_uid = sink_have_uid, .message = sink_message, .arg = st };
	return st;
}

int
import_sink_finish(struct import_state *st, struct import_totals *t)
{
	int rc = folder_end(st);
	progress(st, true);
	if (st->a->progress)
		fputc('\n', stderr);
	*t = st->t;
	return rc;
}

void
import_sink_free(struct import_state *st)
{
	if (st == NULL)
		return;
	store_import_batch_free(&st->batch);
	free(st->held);
	import_seen_free(&st->seen);
	free(st);
}

int
import_source_err(const char *what, const char *name)
{
	fprintf(stderr, "cloisterctl: import: %s %s: %s\n", what, name,
	    strerror(errno));
	return IMPORT_E_SOURCE;
}
