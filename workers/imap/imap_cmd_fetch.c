/* imap_cmd_fetch: FETCH / UID FETCH (RFC 9051 6.4.5, CONDSTORE CHANGEDSINCE
 * and QRESYNC VANISHED, RFC 7162). Metadata (FLAGS, ENVELOPE,
 * BODYSTRUCTURE, ...) is streamed from the store straight into the output;
 * bodies come as read-only fds, one message at a time, in batches. */
#include "imap_commands.h"
#include "imap_fetch_body.h"
#include "imap_fmt.h"
#include "imap_out.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Messages per store_fetch when bodies are fetched too (their metadata is
 * kept in memory until each body is written). */
#define BODY_BATCH 512
/* UID ranges per store request (the store accepts 8192). */
#define SET_CHUNK 4096
/* Times one FETCH refreshes the keyword table for messages that carry a
 * keyword newer than it; a keyword made during the last pass shows at the
 * next command. */
#define KW_PASSES 3

struct fetch {
	struct imap_session *s;
	struct imap_cmd *c;
	struct imap_fetch_args *a;
	/* the connection's cached keyword table (store_keywords_cached):
	 * no round trip unless a message names a bit it lacks */
	struct imap_keywords kw;
	bool kw_shown;            /* the response names keywords (FLAGS) */
	bool kw_final;            /* last pass: no more deferring */
	struct store_uids kw_later; /* messages deferred for a newer table */
	uint32_t what;            /* STORE_F_* */
	bool flags_out;           /* FLAGS in the response */
	bool modseq_out;
	bool uid_out;
	bool bodies;
	bool failed;              /* client gone */
	size_t hint;              /* index of the next expected UID */
	/* body mode: the batch's metadata */
	struct store_msg *batch;
	size_t nbatch;
	struct buf texts;         /* envelope/bodystructure/body bytes */
};

static uint32_t
store_what(const struct fetch *f)
{
	uint32_t w = 0;
	for (const struct imap_fatt *a = f->a->atts; a != NULL; a = a->next) {
		switch (a->type) {
		case FA_FLAGS: case FA_MODSEQ:
			w |= STORE_F_FLAGS;
			break;
		case FA_INTERNALDATE:
			w |= STORE_F_INTERNALDATE;
			break;
		case FA_RFC822_SIZE:
			w |= STORE_F_SIZE;
			break;
		case FA_ENVELOPE:
			w |= STORE_F_ENVELOPE;
			break;
		case FA_BODYSTRUCTURE:
			w |= STORE_F_BODYSTRUCTURE;
			break;
		case FA_BODY:
			w |= STORE_F_BODY;
			break;
		default:
			break;
		}
	}
	if (f->flags_out || f->modseq_out)
		w |= STORE_F_FLAGS;
	return w;
}

/* " NAME " or "NAME " at the start */
static void
item(struct buf *o, bool *first, const char *name)
{
	if (!*first)
		buf_append_byte(o, ' ');
	*first = false;
	buf_append_str(o, name);
}

/* "* seq FETCH (" + the metadata items of m; the caller closes. Plain
 * appends, no printf: FETCH 1:* FLAGS of a large mailbox lives here. */
static void
meta_items(struct fetch *f, const struct store_msg *m, size_t seq)
{
	struct buf *o = imap_out_buf(f->s);
	buf_append(o, "* ", 2);
	imap_fmt_u64(o, seq);
	buf_append(o, " FETCH (", 8);
	bool first = true;
	if (f->uid_out) {
		item(o, &first, "UID ");
		imap_fmt_u64(o, m->uid);
	}
	bool flags_done = false, modseq_done = false;
	for (const struct imap_fatt *a = f->a->atts; a != NULL; a = a->next) {
		switch (a->type) {
		case FA_UID:
			if (!f->uid_out) {
				item(o, &first, "UID ");
				imap_fmt_u64(o, m->uid);
			}
			break;
		case FA_FLAGS:
			if (flags_done)
				break;
			item(o, &first, "FLAGS ");
			imap_fmt_flags(o, m->flags |
		    imap_view_recent_flag(f->s, m->uid), m->keywords, &f->kw);
			flags_done = true;
			break;
		case FA_MODSEQ:
			if (modseq_done)
				break;
			item(o, &first, "MODSEQ (");
			imap_fmt_u64(o, m->modseq);
			buf_append_byte(o, ')');
			modseq_done = true;
			break;
		case FA_INTERNALDATE:
			item(o, &first, "INTERNALDATE ");
			imap_fmt_internaldate(o, m->internaldate, m->tzoff);
			break;
		case FA_RFC822_SIZE:
			item(o, &first, "RFC822.SIZE ");
			imap_fmt_u64(o, m->size);
			break;
		case FA_ENVELOPE:
			item(o, &first, "ENVELOPE ");
			buf_append(o, m->envelope.p, m->envelope.n);
			break;
		case FA_BODYSTRUCTURE:
			item(o, &first, "BODYSTRUCTURE ");
			buf_append(o, m->bodystructure.p, m->bodystructure.n);
			break;
		case FA_BODY:
			item(o, &first, "BODY ");
			buf_append(o, m->body.p, m->body.n);
			break;
		default:
			break;
		}
	}
	/* implied by \Seen being set, or by CHANGEDSINCE / CONDSTORE */
	if (f->flags_out && !flags_done) {
		item(o, &first, "FLAGS ");
		imap_fmt_flags(o, m->flags |
		    imap_view_recent_flag(f->s, m->uid), m->keywords, &f->kw);
	}
	if (f->modseq_out && !modseq_done) {
		item(o, &first, "MODSEQ (");
		imap_fmt_u64(o, m->modseq);
		buf_append_byte(o, ')');
	}
}

static bool
has_items(const struct fetch *f, const struct store_msg *m)
{
	(void)m;
	return f->uid_out || f->flags_out || f->modseq_out || f->a->atts != NULL;
}

/* Streaming mode: write each message as it arrives. */
static int
stream_cb(void *arg, const struct store_msg *m)
{
	struct fetch *f = arg;
	/* UIDs arrive in order: try the next index before a search */
	const struct imap_view *v = f->s->view;
	size_t seq;
	if (f->hint < v->n && v->uids[f->hint] == m->uid)
		seq = f->hint + 1;
	else
		seq = imap_view_seq(v, m->uid);
	f->hint = seq;
	if (seq == 0 || seq > f->s->view->announced || !has_items(f, m))
		return 0;
	/* no request inside a reply: fetch it again once the table is new */
	if (f->kw_shown && !f->kw_final &&
	    store_keywords_unknown(m->keywords, f->kw.n)) {
		if (store_uids_add(&f->kw_later, m->uid, m->uid) < 0) {
			f->failed = true;
			return 1;
		}
		return 0;
	}
	meta_items(f, m, seq);
	buf_append_str(imap_out_buf(f->s), ")\r\n");
	if (!imap_flush_some(f->s)) {
		f->failed = true;
		return 1;
	}
	return 0;
}

/* Body mode: keep the batch's metadata, bodies come after. */
static void
keep_text(struct fetch *f, struct store_text *t)
{
	size_t off = f->texts.len;
	if (t->n > 0 && buf_append(&f->texts, t->p, t->n) < 0) {
		t->n = 0;
		return;
	}
	t->p = (const char *)(uintptr_t)off;   /* rebased after the batch */
}

static int
batch_cb(void *arg, const struct store_msg *m)
{
	struct fetch *f = arg;
	if (f->nbatch >= BODY_BATCH)
		return 1;
	struct store_msg *k = &f->batch[f->nbatch++];
	*k = *m;
	keep_text(f, &k->envelope);
	keep_text(f, &k->bodystructure);
	keep_text(f, &k->body);
	return 0;
}

static void
rebase(struct fetch *f, struct store_text *t)
{
	t->p = (const char *)f->texts.data + (uintptr_t)t->p;
}

/* One message with its bodies (fd from the store, which this closes).
 * 0, or a negative imap_fetch_rc. */
static int
message_with_body(struct fetch *f, struct store_msg *m, int fd, uint64_t size)
{
	struct imap_session *s = f->s;
	size_t seq = imap_view_seq(s->view, m->uid);
	if (seq == 0 || seq > s->view->announced) {
		close(fd);
		return 0;
	}
	struct imap_body b;
	imap_body_init(&b, fd, size);
	for (const struct imap_fatt *a = f->a->atts; a != NULL; a = a->next) {
		int r = imap_fetch_body_check(&b, a);
		if (r != FETCH_OK) {
			imap_body_close(&b);
			return r;
		}
	}
	rebase(f, &m->envelope);
	rebase(f, &m->bodystructure);
	rebase(f, &m->body);
	meta_items(f, m, seq);
	struct buf *o = imap_out_buf(s);
	bool first = o->len > 0 && o->data[o->len - 1] == '(';
	for (const struct imap_fatt *a = f->a->atts; a != NULL; a = a->next) {
		if (!imap_fatt_needs_body(a))
			continue;
		int r = imap_fetch_body_item(s, &b, a, first);
		first = false;
		if (r != FETCH_OK) {
			imap_body_close(&b);
			return r;
		}
	}
	imap_body_close(&b);
	buf_append_str(o, ")\r\n");
	return client_conn_maybe_flush_bulk(&s->conn) == 0 ? 0 : FETCH_GONE;
}

struct body_group {
	struct fetch *f;
	size_t first, next;
	int rc;
};

static int
body_cb(void *arg, uint32_t uid, int fd, uint64_t size)
{
	struct body_group *g = arg;
	struct fetch *f = g->f;
	/* replies come in request order: find uid from where we are */
	size_t i = g->first + g->next;
	while (i < f->nbatch && f->batch[i].uid != uid)
		i++;
	if (i >= f->nbatch) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	g->next = i - g->first + 1;
	if (fd < 0)
		return 0;       /* expunged meanwhile */
	int r = message_with_body(f, &f->batch[i], fd, size);
	if (r == FETCH_GONE) {
		f->failed = true;
		g->rc = STORE_E_IO;
	} else if (r == FETCH_UNKNOWN_CTE) {
		g->rc = 1;
	} else if (r < 0) {
		g->rc = STORE_E_INTERNAL;
	}
	return g->rc != 0;
}

/* Body mode: the batch's metadata is in hand, so one refresh after it
 * names every keyword the batch carries. */
static int
batch_keywords(struct fetch *f)
{
	for (size_t i = 0; i < f->nbatch; i++)
		if (store_keywords_unknown(f->batch[i].keywords, f->kw.n))
			return imap_keywords_current(f->s, &f->kw, true);
	return 0;
}

/* The UIDs of the batch's group that starts at first; their count. */
static size_t
group_uids(const struct fetch *f, size_t first, uint32_t *uids)
{
	size_t k = f->nbatch - first < STORE_BODY_BATCH ?
	    f->nbatch - first : STORE_BODY_BATCH;
	for (size_t j = 0; j < k; j++)
		uids[j] = f->batch[first + j].uid;
	return k;
}

/* The batch's bodies, STORE_BODY_BATCH files per store request; the next
 * group's request goes out before this group's bodies are written, so
 * that stored opens the next files while imapd writes these. */
static int
batch_bodies(struct fetch *f)
{
	struct imap_session *s = f->s;
	uint32_t uids[2][STORE_BODY_BATCH], reqid[2];
	size_t n[2];
	if (f->nbatch == 0)
		return 0;
	n[0] = group_uids(f, 0, uids[0]);
	int rc = store_bodies_send(s->sc, s->view->id, uids[0], n[0], &reqid[0]);
	for (size_t i = 0, g = 0; rc == 0 && i < f->nbatch;
	    i += STORE_BODY_BATCH, g ^= 1) {
		size_t next = i + STORE_BODY_BATCH;
		bool ahead = next < f->nbatch;
		if (ahead) {
			n[g ^ 1] = group_uids(f, next, uids[g ^ 1]);
			rc = store_bodies_send(s->sc, s->view->id, uids[g ^ 1],
			    n[g ^ 1], &reqid[g ^ 1]);
			if (rc < 0)
				break;
		}
		struct body_group bg = { .f = f, .first = i };
		rc = store_bodies_recv(s->sc, reqid[g], uids[g], n[g], body_cb,
		    &bg);
		if (rc == 0)
			rc = bg.rc;
		/* stopping with a request out: its reply still comes; its
		 * fds are closed unread */
		if (rc != 0 && ahead && !f->failed && !imap_store_fatal(rc))
			(void)store_bodies_recv(s->sc, reqid[g ^ 1], uids[g ^ 1],
			    n[g ^ 1], NULL, NULL);
	}
	return rc;
}

static int
fetch_bodies(struct fetch *f, const struct store_uids *part)
{
	struct imap_session *s = f->s;
	f->batch = calloc(BODY_BATCH, sizeof(*f->batch));
	if (f->batch == NULL)
		return STORE_E_INTERNAL;
	buf_init(&f->texts, 64 * 1024 * 1024);
	int rc = 0;
	/* walk the set BODY_BATCH UIDs at a time */
	struct store_uids sub = { 0 };
	size_t ri = 0;
	uint32_t next = part->n > 0 ? part->r[0].lo : 0;
	while (rc == 0 && ri < part->n) {
		store_uids_clear(&sub);
		uint64_t n = 0;
		while (ri < part->n && n < BODY_BATCH) {
			uint32_t hi = part->r[ri].hi;
			uint64_t room = BODY_BATCH - n;
			uint32_t end = (uint64_t)hi - next + 1 > room ?
			    next + (uint32_t)room - 1 : hi;
			/* count only the UIDs the view has: cheap bound */
			store_uids_add(&sub, next, end);
			n += (uint64_t)end - next + 1;
			if (end == hi) {
				if (++ri < part->n)
					next = part->r[ri].lo;
			} else {
				next = end + 1;
			}
		}
		f->nbatch = 0;
		buf_reset(&f->texts);
		rc = store_fetch(s->sc, s->view->id, &sub, f->what,
		    f->a->changedsince, batch_cb, f);
		if (rc == 0 && f->kw_shown)
			rc = batch_keywords(f);
		if (rc == 0)
			rc = batch_bodies(f);
	}
	store_uids_free(&sub);
	buf_free(&f->texts);
	free(f->batch);
	f->batch = NULL;
	return rc;
}

/* \Seen for the messages whose bodies are read (not .PEEK). */
static int
set_seen(struct imap_session *s, const struct store_uids *uids)
{
	struct store_flags_result res = { 0 };
	int rc = 0;
	for (size_t off = 0; rc == 0 && off < uids->n; off += SET_CHUNK) {
		struct store_uids part = { uids->r + off, uids->n - off > SET_CHUNK ?
		    SET_CHUNK : uids->n - off, 0 };
		rc = store_flags(s->sc, s->view->id, &part, STORE_FLAGS_ADD,
		    STORE_FLAG_SEEN, NULL, 0, 0, NULL, NULL, &res);
	}
	store_uids_free(&res.failed);
	return rc;
}

/* QRESYNC: UID FETCH ... (CHANGEDSINCE m VANISHED) reports expunged UIDs
 * of the set first. */
static int
vanished(struct imap_session *s, const struct imap_fetch_args *a,
    const struct store_uids *uids)
{
	struct store_changes_result res = { 0 };
	int rc = store_changes(s->sc, s->view->id, a->changedsince, 0, NULL,
	    NULL, &res);
	if (rc == 0) {
		struct store_uids out = { 0 };
		for (size_t i = 0; i < res.vanished.n; i++)
			for (uint32_t u = res.vanished.r[i].lo;; u++) {
				if (store_uids_has(uids, u))
					store_uids_add(&out, u, u);
				if (u == res.vanished.r[i].hi)
					break;
			}
		if (out.n > 0) {
			struct buf *b = imap_out_buf(s);
			buf_append_str(b, "* VANISHED (EARLIER) ");
			imap_fmt_uids(b, &out);
			buf_append_str(b, "\r\n");
		}
		store_uids_free(&out);
	}
	store_uids_free(&res.vanished);
	return rc;
}

static bool
wants_flags(const struct imap_fetch_args *a)
{
	for (const struct imap_fatt *t = a->atts; t != NULL; t = t->next)
		if (t->type == FA_FLAGS)
			return true;
	return false;
}

/* Streaming mode: the messages that carried a keyword newer than the
 * table, again, after a refresh (at most KW_PASSES times). */
static int
fetch_deferred(struct fetch *f)
{
	struct imap_session *s = f->s;
	int rc = 0;
	for (int pass = 1; rc == 0 && f->kw_later.n > 0; pass++) {
		struct store_uids again = f->kw_later;
		f->kw_later = (struct store_uids){ 0 };
		f->kw_final = pass == KW_PASSES;
		f->hint = 0;
		rc = imap_keywords_current(s, &f->kw, true);
		for (size_t off = 0; rc == 0 && off < again.n; off += SET_CHUNK) {
			struct store_uids part = { again.r + off,
			    again.n - off > SET_CHUNK ? SET_CHUNK : again.n - off, 0 };
			rc = store_fetch(s->sc, s->view->id, &part, f->what,
			    f->a->changedsince, stream_cb, f);
			if (f->failed)
				rc = STORE_E_IO;
		}
		store_uids_free(&again);
	}
	return rc;
}

int
imap_cmd_fetch(struct imap_session *s, struct imap_cmd *c)
{
	struct imap_fetch_args *a = &c->a.fetch;
	if (a->vanished && (!c->uid || !(s->enabled & IMAP_EN_QRESYNC))) {
		imap_tagged(s, "BAD", NULL, "VANISHED needs UID FETCH and QRESYNC");
		return 0;
	}
	struct store_uids uids = { 0 };
	/* UIDs asked for VANISHED: the set as given, not clipped to the view */
	struct store_uids asked = { 0 };
	if (imap_view_resolve(s->view, &a->set, c->uid, &uids) < 0) {
		imap_tagged(s, "BAD", NULL, "Invalid message sequence number");
		return 0;
	}
	struct fetch f = { .s = s, .c = c, .a = a, .uid_out = c->uid };
	bool seen = false;
	for (const struct imap_fatt *t = a->atts; t != NULL; t = t->next) {
		f.bodies = f.bodies || imap_fatt_needs_body(t);
		seen = seen || imap_fatt_sets_seen(t);
		if (t->type == FA_MODSEQ)
			imap_condstore_on(s);
	}
	if (a->changedsince_set) {
		imap_condstore_on(s);
		f.modseq_out = true;
	}
	if (s->enabled & IMAP_EN_CONDSTORE) {
		for (const struct imap_fatt *t = a->atts; t != NULL; t = t->next)
			if (t->type == FA_FLAGS)
				f.modseq_out = true;
	}
	int rc = 0;
	if (seen && !s->view->readonly && uids.n > 0) {
		rc = set_seen(s, &uids);
		f.flags_out = true;
	}
	if (rc == 0)
		rc = imap_keywords_current(s, &f.kw, false);
	f.what = store_what(&f);
	f.kw_shown = f.flags_out || wants_flags(a);
	if (rc == 0 && a->vanished) {
		for (size_t i = 0; i < a->set.n; i++) {
			uint32_t lo = a->set.r[i].lo, hi = a->set.r[i].hi;
			store_uids_add(&asked, lo == IMAP_STAR ? 1 : lo,
			    hi == IMAP_STAR ? STORE_UID_MAX : hi);
		}
		rc = vanished(s, a, &asked);
	}
	for (size_t off = 0; rc == 0 && off < uids.n; off += SET_CHUNK) {
		struct store_uids part = { uids.r + off, uids.n - off > SET_CHUNK ?
		    SET_CHUNK : uids.n - off, 0 };
		if (f.bodies)
			rc = fetch_bodies(&f, &part);
		else
			rc = store_fetch(s->sc, s->view->id, &part, f.what,
			    a->changedsince, stream_cb, &f);
		if (f.failed)
			rc = STORE_E_IO;
	}
	if (rc == 0 && !f.bodies)
		rc = fetch_deferred(&f);
	store_uids_free(&uids);
	store_uids_free(&asked);
	store_uids_free(&f.kw_later);
	if (rc == 1) {
		imap_tagged(s, "NO", "UNKNOWN-CTE",
		    "Cannot decode the content transfer encoding");
		return 0;
	}
	if (imap_store_fatal(rc) || f.failed)
		return -1;
	if (rc < 0) {
		imap_tagged_store_error(s, rc, "FETCH");
		return 0;
	}
	imap_tagged(s, "OK", NULL, "FETCH completed");
	return 0;
}
