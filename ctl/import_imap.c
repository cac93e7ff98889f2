/*
 * import_imap: the IMAP import source's walk (import_imap.h): folders,
 * then per folder the metadata in batches and the missing bodies, many
 * to a UID FETCH, handed on in UID order.
 */
#include "import_imap.h"
#include "imap_client_data.h"
#include "imap_mutf7.h"
#include "store_proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define UIDS_PER_FETCH 100u   /* messages a body fetch asks for */
#define KEYWORDS_MAX 256u     /* per message handed on */
#define FOLDERS_MAX 100000u   /* a server listing more is refused */
#define SLOTS (1u << 18)      /* the raw-name index: over twice FOLDERS_MAX */

struct folder {
	char *raw;                /* the server's name (modified UTF-7) */
	char *name;               /* UTF-8, '/' between levels */
	uint32_t attrs;
	bool subscribed;
};

struct meta {
	uint32_t uid, flags;
	int64_t date;
	uint64_t size;
	size_t kw_off, nkw;       /* keywords: NUL-ended strings in the pool */
};

struct walk {
	const struct import_imap_opts *o;
	const struct import_sink *sink;
	struct import_imap_stats st;
	struct imapc c;
	struct folder *f;
	size_t nf;
	uint32_t *slots;          /* open addressing over raw names: index + 1 */
	char *personal;           /* the personal namespace's prefix, "" if none */
	char *others[IMAPC_NS_MAX];   /* other users' and shared prefixes */
	size_t nothers;
	struct meta *m;
	size_t nm, mcap;
	struct buf pool;
	uint32_t exists;
	size_t asked;             /* messages the metadata FETCH asked for */
	int sink_rc;
};

static void
warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("imap import: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* The UTF-8, '/'-separated name of a server's folder; -1 if it has none
 * here (not modified UTF-7, or a '/' inside a level). */
static int
folder_name(const struct imapc_list *l, size_t skip, struct buf *out)
{
	if (imap_mutf7_decode(l->name + skip, l->namelen - skip, out) < 0)
		return -1;
	for (size_t i = 0; i < out->len; i++) {
		if (l->delim != '/' && out->data[i] == '/')
			return -1;
		if (l->delim != 0 && out->data[i] == (uint8_t)l->delim)
			out->data[i] = '/';
		if (out->data[i] == 0)
			return -1;
	}
	/* INBOX is case-insensitive, and so is it as a parent */
	if ((out->len == 5 || (out->len > 5 && out->data[5] == '/')) &&
	    strncasecmp((const char *)out->data, "INBOX", 5) == 0)
		memcpy(out->data, "INBOX", 5);
	return buf_cstr(out) ? 0 : -1;
}

/* The slot of raw[0..n) in the index: its folder's, or the empty one
 * where it would go. LIST and LSUB look up every name (100,000 folders
 * would take 10^10 comparisons scanning). */
static uint32_t *
slot(struct walk *w, const char *raw, size_t n)
{
	uint32_t h = 2166136261u;   /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)raw[i]) * 16777619u;
	for (uint32_t k = h & (SLOTS - 1); ; k = (k + 1) & (SLOTS - 1)) {
		uint32_t v = w->slots[k];
		if (v == 0 || (strlen(w->f[v - 1].raw) == n &&
		    memcmp(w->f[v - 1].raw, raw, n) == 0))
			return &w->slots[k];
	}
}

static struct folder *
find_raw(struct walk *w, const char *raw, size_t n)
{
	if (w->slots == NULL)
		return NULL;
	uint32_t v = *slot(w, raw, n);
	return v ? &w->f[v - 1] : NULL;
}

static int
add_folder(struct walk *w, const struct imapc_list *l, size_t skip)
{
	struct buf name = BUF_INIT(STORE_MBOX_NAME_MAX);
	if (folder_name(l, skip, &name) < 0) {
		warn("folder %.*s: its name cannot be carried over; skipped",
		    (int)l->namelen, l->name);
		w->st.folders_skipped++;
		buf_free(&name);
		return 0;
	}
	if (w->nf == FOLDERS_MAX) {
		snprintf(w->c.err, sizeof(w->c.err), "more than %u folders",
		    FOLDERS_MAX);
		buf_free(&name);
		return -1;
	}
	struct folder *nf = realloc(w->f, (w->nf + 1) * sizeof(*nf));
	if (nf == NULL || (w->slots == NULL &&
	    (w->slots = calloc(SLOTS, sizeof(*w->slots))) == NULL)) {
		if (nf != NULL)
			w->f = nf;
		buf_free(&name);
		return -1;
	}
	w->f = nf;
	struct folder *f = &w->f[w->nf];
	f->raw = strndup(l->name, l->namelen);
	f->name = strdup((const char *)name.data);
	f->attrs = l->attrs;
	f->subscribed = false;
	buf_free(&name);
	if (f->raw == NULL || f->name == NULL) {
		free(f->raw);
		free(f->name);
		return -1;
	}
	*slot(w, f->raw, strlen(f->raw)) = (uint32_t)++w->nf;
	return 0;
}

static bool
starts(const struct imapc_list *l, const char *prefix)
{
	size_t n = strlen(prefix);
	return n > 0 && l->namelen >= n && (n >= 5 &&
	    strncasecmp(prefix, "INBOX", 5) == 0 ?
	    strncasecmp(l->name, prefix, 5) == 0 &&
	    memcmp(l->name + 5, prefix + 5, n - 5) == 0 :
	    memcmp(l->name, prefix, n) == 0);
}

static int
on_namespace(void *arg, struct imapc_resp *r)
{
	struct walk *w = arg;
	struct imapc_ns ns;
	if (!imapc_is(r->name, r->namelen, "NAMESPACE"))
		return 0;
	if (imapc_namespace_parse(r, &ns) < 0) {
		snprintf(w->c.err, sizeof(w->c.err), "a malformed NAMESPACE"
		    " response");
		return -1;
	}
	if (ns.has_personal) {
		free(w->personal);
		w->personal = strndup(ns.personal.prefix, ns.personal.len);
	}
	for (size_t i = 0; i < ns.nothers && w->nothers < IMAPC_NS_MAX; i++)
		if (ns.others[i].len > 0 && (w->others[w->nothers] = strndup(
		    ns.others[i].prefix, ns.others[i].len)) != NULL)
			w->nothers++;
	return w->personal ? 0 : -1;
}

static int
on_list(void *arg, struct imapc_resp *r)
{
	struct walk *w = arg;
	struct imapc_list l;
	bool lsub = imapc_is(r->name, r->namelen, "LSUB");
	if (!lsub && !imapc_is(r->name, r->namelen, "LIST"))
		return 0;
	if (imapc_list_parse(r, &l) < 0) {
		snprintf(w->c.err, sizeof(w->c.err), "a malformed %s response",
		    lsub ? "LSUB" : "LIST");
		return -1;
	}
	struct folder *f = find_raw(w, l.name, l.namelen);
	if (lsub) {
		if (f != NULL)
			f->subscribed = true;
		return 0;
	}
	if (f != NULL)
		return 0;   /* listed twice */
	if (l.attrs & STORE_MBOX_NOSELECT)
		return 0;   /* a placeholder parent: the store makes its own */
	for (size_t i = 0; i < w->nothers; i++)
		if (starts(&l, w->others[i]))
			return 0;   /* another user's or a shared folder */
	/* "INBOX.Sent" under a personal prefix "INBOX." is Sent */
	size_t skip = starts(&l, w->personal) && l.namelen > strlen(w->personal) ?
	    strlen(w->personal) : 0;
	return add_folder(w, &l, skip);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct folder *)a)->name,
	    ((const struct folder *)b)->name);
}

static int
list_folders(struct walk *w)
{
	unsigned caps = w->c.caps;
	bool su = (caps & IMAPC_CAP_SPECIAL_USE) &&
	    (caps & IMAPC_CAP_LIST_EXTENDED);
	w->personal = strdup("");
	if (w->personal == NULL || ((caps & IMAPC_CAP_NAMESPACE) &&
	    imapc_wait(&w->c, imapc_send(&w->c, "NAMESPACE"), on_namespace,
	    w) < 0))
		return -1;
	if (imapc_wait(&w->c, imapc_send(&w->c, "LIST \"\" \"*\"%s", su ?
	    " RETURN (SPECIAL-USE)" : ""), on_list, w) < 0 ||
	    imapc_wait(&w->c, imapc_send(&w->c, "LSUB \"\" \"*\""), on_list,
	    w) < 0)
		return -1;
	/* parents before their children */
	if (w->nf > 1)
		qsort(w->f, w->nf, sizeof(*w->f), by_name);
	return 0;
}

struct examine {
	struct walk *w;
	struct import_folder *f;
};

static int
on_examine(void *arg, struct imapc_resp *r)
{
	struct examine *e = arg;
	if (r->has_number && imapc_is(r->name, r->namelen, "EXISTS"))
		e->w->exists = r->number;
	if (!r->status || r->ntoks < 2)
		return 0;
	if (imapc_is(r->toks[0].p, r->toks[0].len, "UIDVALIDITY"))
		imapc_u32(&r->toks[1], &e->f->uidvalidity);
	if (imapc_is(r->toks[0].p, r->toks[0].len, "UIDNEXT"))
		imapc_u32(&r->toks[1], &e->f->uidnext);
	return 0;
}

/* New mail (EXISTS) or another session's EXPUNGE while we read: the
 * batches go to the folder's end as it is now (a message moved to a lower
 * sequence number meanwhile waits for the next run). */
static void
track_exists(struct walk *w, const struct imapc_resp *r)
{
	if (r->has_number && imapc_is(r->name, r->namelen, "EXISTS"))
		w->exists = r->number;
	if (r->has_number && imapc_is(r->name, r->namelen, "EXPUNGE") &&
	    w->exists > 0)
		w->exists--;
}

/* Metadata of one FETCH response, keywords into the pool. */
static int
on_meta(void *arg, struct imapc_resp *r)
{
	struct walk *w = arg;
	struct imapc_fetch f;
	track_exists(w, r);
	if (!r->has_number || !imapc_is(r->name, r->namelen, "FETCH"))
		return 0;
	if (imapc_fetch_parse(r, &f) < 0) {
		snprintf(w->c.err, sizeof(w->c.err), "a malformed FETCH response");
		return -1;
	}
	if (!f.has_uid || !f.has_flags || !f.has_size)
		return 0;   /* an unsolicited update, not the answer */
	if (w->nm == w->asked) {
		/* a server answering without end would take all memory */
		snprintf(w->c.err, sizeof(w->c.err), "more FETCH answers than"
		    " messages asked for");
		return -1;
	}
	if (w->nm == w->mcap) {
		size_t cap = w->mcap ? 2 * w->mcap : 256;
		struct meta *nm = realloc(w->m, cap * sizeof(*nm));
		if (nm == NULL)
			return -1;
		w->m = nm;
		w->mcap = cap;
	}
	struct meta *m = &w->m[w->nm++];
	*m = (struct meta){ f.uid, f.flags, f.has_date ? f.date : 0, f.size,
	    w->pool.len, 0 };
	const struct imapc_tok *k;
	while (m->nkw < KEYWORDS_MAX &&
	    (k = imapc_fetch_keyword(r, &f, m->nkw)) != NULL) {
		if (buf_append(&w->pool, k->p, k->len) < 0 ||
		    buf_append_byte(&w->pool, 0) < 0)
			return -1;
		m->nkw++;
	}
	return 0;
}

/* The bodies asked for: todo[next..sent) of the batch's metadata. */
struct inflight {
	struct walk *w;
	const size_t *todo;
	size_t next, sent;
};

static int
deliver(struct walk *w, const struct meta *m, const struct imapc_fetch *f)
{
	const char *kw[KEYWORDS_MAX];
	const char *p = (const char *)w->pool.data + m->kw_off;
	for (size_t i = 0; i < m->nkw; i++, p += strlen(p) + 1)
		kw[i] = p;
	struct import_msg msg = { m->uid, m->flags, kw, m->nkw, m->date,
	    f->body, f->bodylen };
	w->sink_rc = w->sink->message(w->sink->arg, &msg);
	if (w->sink_rc < 0)
		return snprintf(w->c.err, sizeof(w->c.err), "the store refused"
		    " UID %u", m->uid), -1;
	w->st.messages++;
	w->st.bytes += f->bodylen;
	return 0;
}

/* A body answers one of the UIDs asked for, in UID order; the UIDs
 * passed over had their message expunged meanwhile. */
static int
on_body(void *arg, struct imapc_resp *r)
{
	struct inflight *q = arg;
	struct walk *w = q->w;
	struct imapc_fetch f;
	track_exists(w, r);
	if (!r->has_number || !imapc_is(r->name, r->namelen, "FETCH"))
		return 0;
	if (imapc_fetch_parse(r, &f) < 0) {
		snprintf(w->c.err, sizeof(w->c.err), "a malformed FETCH response");
		return -1;
	}
	if (!f.has_body)
		return 0;   /* a flag update */
	size_t j = q->next;
	while (j < q->sent && (!f.has_uid || w->m[q->todo[j]].uid != f.uid))
		j++;
	if (j == q->sent) {
		snprintf(w->c.err, sizeof(w->c.err), "a body that was not asked"
		    " for (UID %u)", f.uid);
		return -1;
	}
	for (; q->next < j; q->next++) {
		warn("UID %u: expunged on the server meanwhile",
		    w->m[q->todo[q->next]].uid);
		w->st.vanished++;
	}
	q->next++;
	return deliver(w, &w->m[q->todo[j]], &f);
}

/* Send one UID FETCH for todo[from..to): "UID FETCH 4,7,9 BODY.PEEK[]". */
static unsigned
send_fetch(struct walk *w, const size_t *todo, size_t from, size_t to)
{
	char set[UIDS_PER_FETCH * 11];
	size_t n = 0;
	for (size_t i = from; i < to; i++)
		n += (size_t)snprintf(set + n, sizeof(set) - n, "%s%u",
		    i > from ? "," : "", w->m[todo[i]].uid);
	return imapc_send(&w->c, "UID FETCH %s BODY.PEEK[]", set);
}

/* The bodies of the batch's messages the sink lacks, handed to the sink
 * in the batch's (UID) order: UIDS_PER_FETCH a command, one command at a
 * time (servers answer a command in UID order, but Dovecot runs pipelined
 * FETCH commands side by side and mixes their answers). */
static int
fetch_bodies(struct walk *w)
{
	size_t *todo = calloc(w->nm + 1, sizeof(*todo)), n = 0;
	if (todo == NULL)
		return -1;
	for (size_t i = 0; i < w->nm; i++) {
		if (w->sink->have_uid(w->sink->arg, w->m[i].uid))
			w->st.present++;
		else if (w->m[i].size > w->o->conn.max_literal) {
			warn("UID %u: %llu bytes, over the limit; skipped",
			    w->m[i].uid, (unsigned long long)w->m[i].size);
			w->st.too_big++;
		} else
			todo[n++] = i;
	}
	struct inflight q = { w, todo, 0, 0 };
	int rc = 0;
	for (size_t from = 0; rc == 0 && from < n; from = q.sent) {
		q.sent = n - from < UIDS_PER_FETCH ? n : from + UIDS_PER_FETCH;
		rc = imapc_wait(&w->c, send_fetch(w, todo, from, q.sent),
		    on_body, &q);
		/* its OK came: a body of its set not seen by now will not come */
		for (; rc == 0 && q.next < q.sent; q.next++) {
			warn("UID %u: expunged on the server meanwhile",
			    w->m[todo[q.next]].uid);
			w->st.vanished++;
		}
	}
	free(todo);
	return rc;
}

static int
by_uid(const void *a, const void *b)
{
	uint32_t x = ((const struct meta *)a)->uid;
	uint32_t y = ((const struct meta *)b)->uid;
	return x < y ? -1 : x > y;
}

static int
copy_folder(struct walk *w, const struct folder *fo)
{
	struct import_folder f = { fo->name, 0, 0, fo->attrs & STORE_USE_MASK,
	    fo->subscribed };
	/* under --folder NAME: INBOX is NAME, the rest NAME/..., and no
	 * folder takes a special use from the old server */
	char under[STORE_MBOX_NAME_MAX + 1];
	const char *top = w->o->under;
	if (top != NULL) {
		if (buf_snprintf(under, sizeof(under), "%s%s%s", top,
		    strcmp(fo->name, "INBOX") ? "/" : "", strcmp(fo->name,
		    "INBOX") ? fo->name : "") < 0)
			return snprintf(w->c.err, sizeof(w->c.err), "%s/%s: name"
			    " too long", top, fo->name), -1;
		f.name = under;
		f.special_use = 0;
	}
	struct examine e = { w, &f };
	struct buf cmd = BUF_INIT(2 * STORE_MBOX_NAME_MAX + 16);
	w->exists = 0;
	int rc = imapc_quote(&cmd, fo->raw, strlen(fo->raw));
	if (rc < 0)
		warn("folder %s: its name cannot be sent; skipped", fo->name);
	else
		rc = imapc_wait(&w->c, imapc_send(&w->c, "EXAMINE %.*s",
		    (int)cmd.len, (const char *)cmd.data), on_examine, &e);
	buf_free(&cmd);
	if (rc < 0)
		return -1;
	if ((w->sink_rc = w->sink->folder(w->sink->arg, &f)) < 0)
		return snprintf(w->c.err, sizeof(w->c.err), "the store refused"
		    " folder %s", fo->name), -1;
	w->st.folders++;
	unsigned batch = w->o->batch ? w->o->batch : IMPORT_IMAP_BATCH_DEFAULT;
	/* EXISTS may grow while we read (new mail): go on to the end */
	for (uint32_t lo = 1; rc == 0 && lo <= w->exists; lo += batch) {
		uint32_t hi = w->exists - lo < batch ? w->exists : lo + batch - 1;
		w->nm = 0;
		w->asked = (size_t)(hi - lo) + 1;
		buf_reset(&w->pool);
		rc = imapc_wait(&w->c, imapc_send(&w->c, "FETCH %u:%u (UID FLAGS"
		    " INTERNALDATE RFC822.SIZE)", lo, hi), on_meta, w);
		if (rc == 0) {
			if (w->nm > 1)   /* none: no array for qsort */
				qsort(w->m, w->nm, sizeof(*w->m), by_uid);
			rc = fetch_bodies(w);
		}
	}
	return rc;
}

int
import_imap_run(const struct import_imap_opts *o,
    const struct import_sink *sink)
{
	struct walk w = { .o = o, .sink = sink };
	buf_init(&w.pool, 64u << 20);
	int rc = imapc_init(&w.c, &o->conn);
	if (rc == 0)
		rc = imapc_connect(&w.c, &o->conn);
	if (rc == 0 && o->confine != NULL &&
	    o->confine(o->confine_arg, w.c.fd) < 0) {
		snprintf(w.c.err, sizeof(w.c.err), "cannot confine the source");
		rc = -1;
	}
	if (rc == 0)
		rc = imapc_start(&w.c, &o->conn);
	if (rc == 0)
		rc = imapc_login(&w.c, o->user, o->admin, o->password,
		    o->password_len);
	if (rc == 0)
		rc = list_folders(&w);
	for (size_t i = 0; rc == 0 && i < w.nf; i++)
		rc = copy_folder(&w, &w.f[i]);
	if (rc == 0)
		imapc_send(&w.c, "LOGOUT");
	else
		warn("%s", w.c.err[0] ? w.c.err : "out of memory");
	imapc_close(&w.c);
	for (size_t i = 0; i < w.nf; i++) {
		free(w.f[i].raw);
		free(w.f[i].name);
	}
	free(w.f);
	free(w.slots);
	free(w.m);
	free(w.personal);
	for (size_t i = 0; i < w.nothers; i++)
		free(w.others[i]);
	buf_free(&w.pool);
	if (o->stats != NULL)
		*o->stats = w.st;
	if (rc < 0)
		return w.sink_rc < 0 ? w.sink_rc : -1;
	return w.st.too_big || w.st.vanished || w.st.folders_skipped ? 1 : 0;
}
