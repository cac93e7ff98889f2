/* imap_cmd_store: STORE (CONDSTORE UNCHANGEDSINCE), COPY, MOVE (RFC 6851)
 * and EXPUNGE / UID EXPUNGE (UIDPLUS, RFC 4315). */
#include "imap_commands.h"
#include "imap_fmt.h"
#include "imap_out.h"

#include <string.h>

/* Largest range count sent in one store request (the store takes 8192). */
#define SET_CHUNK 4096

/* The set as UIDs; answers BAD for sequence numbers past the end. */
static int
resolve(struct imap_session *s, struct imap_cmd *c,
    const struct imap_seqset *set, struct store_uids *out)
{
	if (imap_view_resolve(s->view, set, c->uid, out) < 0) {
		imap_tagged(s, "BAD", NULL, "Invalid message sequence number");
		return -1;
	}
	return 0;
}

/* Note notifications that arrived during our own request (the client
 * library queues those it meets while reading a reply; the store sends a
 * change's notification before any later reply); true if the view is
 * current (nobody else changed the mailbox meanwhile). */
static bool
current(struct imap_session *s)
{
	struct store_notify n;
	while (store_client_next_notify(s->sc, &n) == 1)
		if (s->view != NULL && n.mailbox_id == s->view->id)
			s->view->stale = true;
	return s->view != NULL && !s->view->stale;
}

struct flags_out {
	struct imap_session *s;
	struct imap_cmd *c;
	struct imap_keywords kw;
	const struct store_uids *skip;    /* UNCHANGEDSINCE failures */
	bool flags;                       /* FLAGS, not only MODSEQ */
	bool kw_final;                    /* table asked for: no deferring */
	struct store_uids kw_later;       /* carry a keyword kw lacks */
};

static int
flags_cb(void *arg, const struct store_msg *m)
{
	struct flags_out *f = arg;
	struct imap_session *s = f->s;
	size_t seq = imap_view_seq(s->view, m->uid);
	if (seq == 0 || seq > s->view->announced ||
	    (f->skip != NULL && store_uids_has(f->skip, m->uid)))
		return 0;
	/* no request inside a reply: shown after the table is asked for */
	if (f->flags && !f->kw_final &&
	    store_keywords_unknown(m->keywords, f->kw.n))
		return store_uids_add(&f->kw_later, m->uid, m->uid) < 0;
	struct buf *b = imap_out_buf(s);
	buf_printf(b, "* %zu FETCH (", seq);
	const char *sp = "";
	if (f->c->uid || (s->enabled & IMAP_EN_QRESYNC)) {
		buf_printf(b, "UID %u", m->uid);
		sp = " ";
	}
	if (f->flags) {
		buf_printf(b, "%sFLAGS ", sp);
		imap_fmt_flags(b, m->flags |
		    imap_view_recent_flag(s, m->uid), m->keywords, &f->kw);
		sp = " ";
	}
	if ((s->enabled & IMAP_EN_CONDSTORE) || f->c->a.store.unchangedsince_set)
		buf_printf(b, "%sMODSEQ (%llu)", sp,
		    (unsigned long long)m->modseq);
	buf_append_str(b, ")\r\n");
	return imap_flush_some(s) ? 0 : 1;
}

/* Split a UID set into request-sized pieces. */
static size_t
chunk(const struct store_uids *all, size_t from, struct store_uids *part)
{
	part->r = all->r + from;
	part->n = all->n - from > SET_CHUNK ? SET_CHUNK : all->n - from;
	part->cap = part->n;
	return part->n;
}

/* Does the command name a keyword the table lacks (a new bit)? */
static bool
names_new_keyword(const struct imap_flags *fl, const struct imap_keywords *kw)
{
	for (size_t i = 0; i < fl->nkw; i++) {
		size_t j = 0;
		while (j < kw->n && strcmp(fl->kw[i], kw->names[j]) != 0)
			j++;
		if (j == kw->n)
			return true;
	}
	return false;
}

/* FLAGS of the set after the change; the messages that carry a keyword
 * the table lacks come last, after it was asked for anew. */
static int
report_flags(struct imap_session *s, struct flags_out *f,
    const struct store_uids *uids)
{
	int rc = 0;
	for (size_t off = 0; rc == 0 && off < uids->n;) {
		struct store_uids part;
		off += chunk(uids, off, &part);
		rc = store_fetch(s->sc, s->view->id, &part, STORE_F_FLAGS, 0,
		    flags_cb, f);
	}
	if (rc == 0 && f->kw_later.n > 0 &&
	    (rc = imap_keywords_current(s, &f->kw, true)) == 0) {
		f->kw_final = true;
		rc = store_fetch(s->sc, s->view->id, &f->kw_later,
		    STORE_F_FLAGS, 0, flags_cb, f);
	}
	store_uids_free(&f->kw_later);
	return rc;
}

int
imap_cmd_store(struct imap_session *s, struct imap_cmd *c)
{
	struct imap_store_args *a = &c->a.store;
	if (s->view->readonly) {
		imap_tagged(s, "NO", "READ-ONLY", "Mailbox is read-only");
		return 0;
	}
	struct store_uids uids = { 0 };
	if (resolve(s, c, &a->set, &uids) < 0)
		return 0;
	if (a->unchangedsince_set)
		imap_condstore_on(s);
	enum store_flag_op op = a->op == STORE_ADD ? STORE_FLAGS_ADD :
	    a->op == STORE_REMOVE ? STORE_FLAGS_REMOVE : STORE_FLAGS_REPLACE;
	struct flags_out f = { .s = s, .c = c, .flags = !a->silent };
	/* the cached table: asked for again only for a new keyword */
	int rc = imap_keywords_current(s, &f.kw, false);
	struct store_flags_result res = { 0 };
	struct store_uids failed = { 0 };
	uint64_t hm = 0;
	bool was_current = s->view != NULL && !s->view->stale;
	/* .SILENT: only what CONDSTORE asks for (MODSEQ of changed ones);
	 * else FLAGS of every message of the set (RFC 9051 6.4.6) */
	bool report = a->silent && (s->enabled & IMAP_EN_CONDSTORE);
	for (size_t off = 0; rc == 0 && off < uids.n;) {
		struct store_uids part;
		off += chunk(&uids, off, &part);
		rc = store_flags(s->sc, s->view->id, &part, op,
		    imap_fmt_flags_to_store(a->flags.sys), a->flags.kw,
		    a->flags.nkw, a->unchangedsince_set ?
		    (a->unchangedsince == 0 ? 1 : a->unchangedsince) : 0,
		    report ? flags_cb : NULL, &f, &res);
		for (size_t i = 0; rc == 0 && i < res.failed.n; i++)
			store_uids_add(&failed, res.failed.r[i].lo,
			    res.failed.r[i].hi);
		if (res.highestmodseq > hm)
			hm = res.highestmodseq;
	}
	store_uids_free(&res.failed);
	/* new keywords got new bits: refresh the table, and tell the client
	 * the mailbox's flags changed (RFC 9051 7.3.5) */
	if (rc == 0 && names_new_keyword(&a->flags, &f.kw))
		rc = imap_keywords_current(s, &f.kw, true);
	if (rc == 0 && !a->silent) {
		f.skip = &failed;
		rc = report_flags(s, &f, &uids);
	}
	store_uids_free(&uids);
	if (imap_store_fatal(rc) || s->conn.failed) {
		store_uids_free(&failed);
		return -1;
	}
	if (rc < 0) {
		store_uids_free(&failed);
		imap_tagged_store_error(s, rc, "STORE");
		return 0;
	}
	if (was_current && current(s) && hm > s->view->modseq)
		s->view->modseq = hm;
	if (failed.n > 0) {
		struct buf *b = imap_out_buf(s);
		buf_printf(b, "%s OK [MODIFIED ", c->tag);
		if (c->uid) {
			imap_fmt_uids(b, &failed);
		} else {
			/* sequence numbers for the non-UID form */
			struct store_uids seqs = { 0 };
			for (size_t i = 0; i < failed.n; i++)
				for (uint32_t u = failed.r[i].lo;; u++) {
					size_t q = imap_view_seq(s->view, u);
					if (q != 0)
						store_uids_add(&seqs, (uint32_t)q,
						    (uint32_t)q);
					if (u == failed.r[i].hi)
						break;
				}
			imap_fmt_uids(b, &seqs);
			store_uids_free(&seqs);
		}
		buf_append_str(b, "] Conditional STORE failed\r\n");
	} else {
		imap_tagged(s, "OK", NULL, "STORE completed");
	}
	store_uids_free(&failed);
	return 0;
}

/* The copies landed in the selected mailbox: EXISTS before the OK. */
static int
self_sync(struct imap_session *s, bool expunge_ok)
{
	s->view->stale = true;
	return imap_store_fatal(imap_view_sync(s, expunge_ok)) ? -1 : 0;
}

int
imap_cmd_copy(struct imap_session *s, struct imap_cmd *c)
{
	bool move = c->id == IMAP_CMD_MOVE;
	const char *what = imap_cmd_name(c->id);
	if (move && s->view->readonly) {
		imap_tagged(s, "NO", "READ-ONLY", "Mailbox is read-only");
		return 0;
	}
	struct store_uids uids = { 0 };
	if (resolve(s, c, &c->a.copy.set, &uids) < 0)
		return 0;
	const char *name = imap_mailbox_arg(s, &c->a.copy.mailbox);
	if (name == NULL) {
		store_uids_free(&uids);
		return 0;
	}
	struct store_mbox_status dst;
	int rc = store_mbox_status(s->sc, name, &dst);
	if (rc == 0 && (dst.attrs & (STORE_MBOX_NOSELECT | STORE_MBOX_NONEXISTENT)))
		rc = STORE_E_NOTFOUND;
	if (rc < 0) {
		store_uids_free(&uids);
		if (imap_store_fatal(rc))
			return -1;
		if (rc == STORE_E_NOTFOUND)
			imap_tagged(s, "NO", "TRYCREATE", "%s: no such mailbox",
			    what);
		else
			imap_tagged_store_error(s, rc, what);
		return 0;
	}
	if (uids.n == 0) {
		store_uids_free(&uids);
		imap_tagged(s, "OK", NULL, "%s completed (no messages)", what);
		return 0;
	}
	/* one request per chunk; the COPYUID pairs are gathered in order */
	struct store_uids src = { 0 }, dstu = { 0 };
	struct store_copy_result res = { 0 };
	bool was_current = !s->view->stale;
	uint64_t hm = 0;
	for (size_t off = 0; rc == 0 && off < uids.n;) {
		struct store_uids part;
		off += chunk(&uids, off, &part);
		rc = move ? store_move(s->sc, s->view->id, &part, dst.id, &res) :
		    store_copy(s->sc, s->view->id, &part, dst.id, &res);
		for (size_t i = 0; rc == 0 && i < res.src.n; i++)
			store_uids_add(&src, res.src.r[i].lo, res.src.r[i].hi);
		for (size_t i = 0; rc == 0 && i < res.dst.n; i++)
			store_uids_add(&dstu, res.dst.r[i].lo, res.dst.r[i].hi);
		if (res.highestmodseq > hm)
			hm = res.highestmodseq;
	}
	store_uids_free(&uids);
	if (rc < 0) {
		store_uids_free(&src);
		store_uids_free(&dstu);
		store_uids_free(&res.src);
		store_uids_free(&res.dst);
		if (imap_store_fatal(rc))
			return -1;
		imap_tagged_store_error(s, rc, what);
		return 0;
	}
	struct buf *b = imap_out_buf(s);
	bool into_self = dst.id == s->view->id;
	char code[64];
	if (buf_snprintf(code, sizeof(code), "COPYUID %u ", res.uidvalidity) < 0)
		code[0] = '\0';
	if (move) {
		/* RFC 6851: COPYUID in an untagged OK before the expunges */
		if (src.n > 0) {
			buf_printf(b, "* OK [%s", code);
			imap_fmt_uids(b, &src);
			buf_append_byte(b, ' ');
			imap_fmt_uids(b, &dstu);
			buf_append_str(b, "] Moved\r\n");
		}
		imap_view_expunged(s, &src);
		/* our own change, nobody else's: the view is current (not
		 * when the copies came here: the sync must still see them) */
		if (!into_self && was_current && current(s) &&
		    hm > s->view->modseq)
			s->view->modseq = hm;
		if (into_self && self_sync(s, true) < 0)
			return -1;
		imap_tagged(s, "OK", NULL, "MOVE completed");
	} else if (src.n > 0) {
		if (into_self && self_sync(s, false) < 0)
			return -1;
		buf_printf(b, "%s OK [%s", c->tag, code);
		imap_fmt_uids(b, &src);
		buf_append_byte(b, ' ');
		imap_fmt_uids(b, &dstu);
		buf_append_str(b, "] COPY completed\r\n");
	} else {
		imap_tagged(s, "OK", NULL, "COPY completed");
	}
	store_uids_free(&src);
	store_uids_free(&dstu);
	store_uids_free(&res.src);
	store_uids_free(&res.dst);
	return 0;
}

int
imap_cmd_expunge(struct imap_session *s, struct imap_cmd *c)
{
	if (s->view->readonly) {
		imap_tagged(s, "NO", "READ-ONLY", "Mailbox is read-only");
		return 0;
	}
	struct store_uids set = { 0 }, gone = { 0 }, all = { 0 };
	int rc = 0;
	bool was_current = !s->view->stale;
	uint64_t hm = 0;
	if (c->uid) {
		if (resolve(s, c, &c->a.expunge, &set) < 0)
			return 0;
		for (size_t off = 0; rc == 0 && off < set.n;) {
			struct store_uids part;
			off += chunk(&set, off, &part);
			rc = store_expunge(s->sc, s->view->id, &part, &gone, &hm);
			for (size_t i = 0; rc == 0 && i < gone.n; i++)
				store_uids_add(&all, gone.r[i].lo, gone.r[i].hi);
		}
	} else {
		rc = store_expunge(s->sc, s->view->id, NULL, &all, &hm);
	}
	store_uids_free(&set);
	store_uids_free(&gone);
	if (rc < 0) {
		store_uids_free(&all);
		if (imap_store_fatal(rc))
			return -1;
		imap_tagged_store_error(s, rc, "EXPUNGE");
		return 0;
	}
	imap_view_expunged(s, &all);
	store_uids_free(&all);
	if (was_current && current(s) && hm > s->view->modseq)
		s->view->modseq = hm;
	char code[48];
	if ((s->enabled & IMAP_EN_CONDSTORE) && buf_snprintf(code, sizeof(code),
	    "HIGHESTMODSEQ %llu", (unsigned long long)s->view->modseq) > 0)
		imap_tagged(s, "OK", code, "EXPUNGE completed");
	else
		imap_tagged(s, "OK", NULL, "EXPUNGE completed");
	return 0;
}
