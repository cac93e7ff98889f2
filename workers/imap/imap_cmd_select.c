/* imap_cmd_select: SELECT, EXAMINE (with CONDSTORE and QRESYNC, RFC 7162),
 * CLOSE and UNSELECT. */
#include "imap_commands.h"
#include "imap_fmt.h"
#include "imap_out.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static void
flags_line(struct buf *b, const struct imap_keywords *kw)
{
	buf_append_str(b, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft");
	for (size_t i = 0; i < kw->n; i++)
		buf_printf(b, " %s", kw->names[i]);
	buf_append_str(b, ")\r\n");
}

static void
permanentflags_line(struct buf *b, const struct imap_keywords *kw)
{
	buf_append_str(b, "* OK [PERMANENTFLAGS (\\Answered \\Flagged "
	    "\\Deleted \\Seen \\Draft");
	for (size_t i = 0; i < kw->n; i++)
		buf_printf(b, " %s", kw->names[i]);
	/* \* while the user's keyword table has room */
	buf_append_str(b, kw->n < STORE_MAX_KEYWORDS ? " \\*)] Flags\r\n" :
	    ")] Flags\r\n");
}

void
imap_flags_announce(struct imap_session *s, const struct imap_keywords *kw)
{
	if (s->view == NULL)
		return;
	flags_line(imap_out_buf(s), kw);
	if (!s->view->readonly)
		permanentflags_line(imap_out_buf(s), kw);
}

int
imap_keywords_current(struct imap_session *s, struct imap_keywords *kw,
    bool refresh)
{
	int rc = refresh ? store_keywords(s->sc, &kw->names, &kw->n) :
	    store_keywords_cached(s->sc, &kw->names, &kw->n);
	/* a keyword in a FETCH response must be in FLAGS first (RFC 9051
	 * 7.3.5): untagged FLAGS may come in the middle of a response */
	if (rc == 0 && s->view != NULL && kw->n > s->view->nkw) {
		imap_flags_announce(s, kw);
		s->view->nkw = kw->n;
	}
	return rc;
}

/* Leave the selected mailbox; expunge = CLOSE's silent expunge. */
static int
deselect(struct imap_session *s, bool expunge)
{
	struct imap_view *v = s->view;
	if (v == NULL)
		return 0;
	int rc = 0;
	if (expunge && !v->readonly)
		rc = store_expunge(s->sc, v->id, NULL, NULL, NULL);
	int wrc = store_watch(s->sc, v->id, false);
	imap_view_free(v);
	free(v);
	s->view = NULL;
	s->state = IMAP_ST_AUTH;
	if (imap_store_fatal(rc) || imap_store_fatal(wrc))
		return -1;
	return rc;
}

int
imap_cmd_close(struct imap_session *s, struct imap_cmd *c)
{
	int rc = deselect(s, c->id == IMAP_CMD_CLOSE);
	if (rc == -1)
		return -1;
	if (rc < 0)
		imap_tagged_store_error(s, rc, imap_cmd_name(c->id));
	else
		imap_tagged(s, "OK", NULL, "%s completed", imap_cmd_name(c->id));
	return 0;
}

struct qr {
	struct imap_session *s;
	struct imap_keywords kw;
	const struct store_uids *known;   /* NULL: all */
};

/* QRESYNC: FETCH (UID FLAGS MODSEQ) of what changed since the client's
 * modseq. */
static int
qresync_cb(void *arg, const struct store_msg *m)
{
	struct qr *q = arg;
	struct imap_session *s = q->s;
	size_t seq = imap_view_seq(s->view, m->uid);
	if (seq == 0)
		return 0;
	struct buf *b = imap_out_buf(s);
	buf_printf(b, "* %zu FETCH (UID %u FLAGS ", seq, m->uid);
	imap_fmt_flags(b, m->flags |
		    imap_view_recent_flag(s, m->uid), m->keywords, &q->kw);
	buf_printf(b, " MODSEQ (%llu))\r\n", (unsigned long long)m->modseq);
	return imap_flush_some(s) ? 0 : 1;
}

/* The UIDs to report VANISHED (EARLIER): expunged since the client's
 * modseq, restricted to the UIDs it says it knows. */
static int
qresync(struct imap_session *s, const struct imap_select_args *a)
{
	struct imap_view *v = s->view;
	struct store_uids known = { 0 };
	bool have_known = a->q_known_uids.n > 0;
	if (have_known) {
		for (size_t i = 0; i < a->q_known_uids.n; i++) {
			uint32_t lo = a->q_known_uids.r[i].lo;
			uint32_t hi = a->q_known_uids.r[i].hi;
			if (hi == IMAP_STAR)
				hi = STORE_UID_MAX;
			if (lo == IMAP_STAR)
				lo = imap_view_last_uid(v) ? imap_view_last_uid(v) : 1;
			if (lo > hi) {
				uint32_t t = lo;
				lo = hi;
				hi = t;
			}
			store_uids_add(&known, lo, hi);
		}
	}
	struct qr q = { .s = s, .known = have_known ? &known : NULL };
	int rc = store_keywords(s->sc, &q.kw.names, &q.kw.n);
	struct store_changes_result res = { 0 };
	if (rc == 0)
		rc = store_changes(s->sc, v->id, a->q_modseq, STORE_F_FLAGS,
		    qresync_cb, &q, &res);
	if (rc == 0) {
		struct store_uids out = { 0 };
		for (size_t i = 0; i < res.vanished.n; i++) {
			for (uint32_t u = res.vanished.r[i].lo;; u++) {
				if (!have_known || store_uids_has(&known, u))
					store_uids_add(&out, u, u);
				if (u == res.vanished.r[i].hi)
					break;
			}
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
	store_uids_free(&known);
	return rc;
}

/* rev1's OK [UNSEEN n]: the first unseen message's sequence number. */
static int
first_unseen(struct imap_session *s, size_t *seq)
{
	struct store_search prog;
	struct store_search_result res = { 0 };
	store_search_init(&prog);
	store_search_u32(&prog, STORE_S_FLAGS_UNSET, STORE_FLAG_SEEN);
	int rc = store_search(s->sc, s->view->id, &prog, NULL, 0, &res);
	*seq = rc == 0 && res.n > 0 ? imap_view_seq(s->view, res.uids[0]) : 0;
	store_search_result_free(&res);
	store_search_free(&prog);
	return rc;
}

int
imap_cmd_select(struct imap_session *s, struct imap_cmd *c)
{
	const struct imap_select_args *a = &c->a.select;
	bool readonly = c->id == IMAP_CMD_EXAMINE;
	const char *what = imap_cmd_name(c->id);
	if (a->qresync && !(s->enabled & IMAP_EN_QRESYNC)) {
		imap_tagged(s, "BAD", NULL, "QRESYNC is not enabled");
		return 0;
	}
	const char *name = imap_mailbox_arg(s, &a->mailbox);
	if (name == NULL)
		return 0;
	bool was_selected = s->view != NULL;
	if (deselect(s, false) == -1)
		return -1;
	/* RFC 7162 3.2.11 / RFC 9051: the old mailbox is closed */
	if (was_selected)
		imap_untagged(s, "OK [CLOSED] Previous mailbox closed");
	struct store_mbox_status st;
	int rc = store_mbox_status(s->sc, name, &st);
	if (imap_store_fatal(rc))
		return -1;
	if (rc < 0) {
		imap_tagged_store_error(s, rc, what);
		return 0;
	}
	if (st.attrs & (STORE_MBOX_NOSELECT | STORE_MBOX_NONEXISTENT)) {
		imap_tagged(s, "NO", "CANNOT", "%s: mailbox cannot be selected",
		    what);
		return 0;
	}
	if (a->condstore)
		s->enabled |= IMAP_EN_CONDSTORE;
	struct imap_view *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return -1;
	rc = imap_view_open(s, v, st.id, name, readonly, &st);
	if (rc < 0) {
		imap_view_free(v);
		free(v);
		if (imap_store_fatal(rc))
			return -1;
		imap_tagged_store_error(s, rc, what);
		return 0;
	}
	s->view = v;
	s->state = IMAP_ST_SELECTED;
	struct imap_keywords kw = { NULL, 0 };
	if ((rc = store_keywords(s->sc, &kw.names, &kw.n)) < 0)
		return imap_store_fatal(rc) ? -1 : 0;
	struct buf *b = imap_out_buf(s);
	bool rev2 = (s->enabled & IMAP_EN_IMAP4REV2) != 0;
	flags_line(b, &kw);
	v->nkw = kw.n;
	imap_untagged(s, "%zu EXISTS", v->n);
	if (!rev2) {
		imap_untagged(s, "%zu RECENT", v->recent_told);
		size_t unseen = 0;
		if (st.unseen > 0 && (rc = first_unseen(s, &unseen)) < 0 &&
		    imap_store_fatal(rc))
			return -1;
		if (unseen > 0)
			imap_untagged(s, "OK [UNSEEN %zu] First unseen", unseen);
	}
	if (readonly)
		imap_untagged(s, "OK [PERMANENTFLAGS ()] Read-only mailbox");
	else
		permanentflags_line(b, &kw);
	imap_untagged(s, "OK [UIDVALIDITY %u] UIDs valid", v->uidvalidity);
	imap_untagged(s, "OK [UIDNEXT %u] Predicted next UID", v->uidnext);
	if (s->enabled & IMAP_EN_CONDSTORE)
		imap_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest",
		    (unsigned long long)v->modseq);
	if (rev2) {
		buf_printf(b, "* LIST () \"%c\" ", STORE_HIER_SEP);
		imap_out_mailbox(b, name, true);
		buf_append_str(b, "\r\n");
	}
	if (a->qresync && a->q_uidvalidity == v->uidvalidity) {
		rc = qresync(s, a);
		if (imap_store_fatal(rc))
			return -1;
	}
	imap_tagged(s, "OK", readonly ? "READ-ONLY" : "READ-WRITE",
	    "%s completed", what);
	return 0;
}
