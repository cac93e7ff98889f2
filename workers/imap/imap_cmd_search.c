/* imap_cmd_search: SEARCH / UID SEARCH (ESEARCH RFC 4731, SEARCHRES
 * RFC 5182, CONDSTORE MODSEQ), SORT / UID SORT (RFC 5256, SORT=DISPLAY
 * RFC 5957, ESORT RFC 5267) and THREAD (RFC 5256: imap_thread.h). The
 * parsed key tree becomes the store's typed postfix program
 * (store_client.h), the sort criteria its sort keys; no IMAP text reaches
 * the store. */
#include "imap_commands.h"
#include "imap_fmt.h"
#include "imap_thread.h"
#include "mime_index.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct prog {
	struct imap_session *s;
	struct store_search *p;
	bool used_modseq;
	bool too_long;
	int store_rc;   /* a store error met while building (date keys) */
};

/* A sequence set of the key -> UIDs; numbers past the end match nothing
 * (SEARCH is a filter, not an address). */
static void
key_set(struct prog *g, const struct imap_seqset *set, bool uid)
{
	struct imap_view *v = g->s->view;
	struct store_uids u = { 0 };
	size_t count = v->announced < v->n ? v->announced : v->n;
	if (!uid && !set->saved) {
		struct imap_seqset clip = *set;
		struct imap_range r[1];
		store_uids_clear(&u);
		for (size_t i = 0; i < set->n; i++) {
			r[0] = set->r[i];
			if (r[0].hi == IMAP_STAR)
				r[0].hi = (uint32_t)count;
			if (r[0].lo == IMAP_STAR)
				r[0].lo = (uint32_t)count;
			if (r[0].lo > r[0].hi) {
				uint32_t t = r[0].lo;
				r[0].lo = r[0].hi;
				r[0].hi = t;
			}
			if (r[0].lo == 0 || r[0].lo > count)
				continue;
			if (r[0].hi > count)
				r[0].hi = (uint32_t)count;
			clip.r = r;
			clip.n = 1;
			struct store_uids part = { 0 };
			if (imap_view_resolve(v, &clip, false, &part) == 0)
				for (size_t k = 0; k < part.n; k++)
					store_uids_add(&u, part.r[k].lo, part.r[k].hi);
			store_uids_free(&part);
		}
	} else {
		(void)imap_view_resolve(v, set, uid, &u);
	}
	if (u.n == 0) {
		/* matches nothing: NOT ALL */
		store_search_op(g->p, STORE_S_ALL);
		store_search_op(g->p, STORE_S_NOT);
	} else {
		store_search_uids(g->p, &u);
	}
	store_uids_free(&u);
}

/* \Recent as a UID set: the session's claimed UIDs (RECENT), those
 * and UNSEEN (NEW), or everything else (OLD, negate). */
static void
key_recent(struct prog *g, bool negate)
{
	static const struct store_uids none = { 0 };
	/* nothing is recent to a rev2 session, even what it claimed before
	 * ENABLE */
	const struct store_uids *r = (g->s->enabled & IMAP_EN_IMAP4REV2) ?
	    &none : &g->s->view->recent;
	if (r->n == 0)
		store_search_op(g->p, STORE_S_ALL);
	else
		store_search_uids(g->p, r);
	if (r->n == 0 ? !negate : negate)
		store_search_op(g->p, STORE_S_NOT);
}

static const char *
str_of(struct prog *g, const struct imap_str *s)
{
	if (s->s == NULL || s->len > 1024 || memchr(s->s, 0, s->len) != NULL) {
		g->too_long = true;
		return "";
	}
	return s->s;
}

/* BEFORE/ON/SINCE and SENT* compare calendar days "disregarding time and
 * timezone" (RFC 3501 6.4.4): the day of INTERNALDATE, or of the Date:
 * field, in its own zone; the store indexes UTC seconds. The store decides
 * alone what lies further than DAY_SLACK from a day boundary (no zone is
 * further from UTC); the messages near one are judged here (INTERNALDATE's
 * zone, the envelope's date) and go to the store as UIDs. Zones past the
 * slack count as it. Sent dates fall back to INTERNALDATE, as the store's
 * do, when a message has no readable Date:. */
#define DAY_SLACK (26 * 3600)

struct day_ctx {
	int64_t lo, hi;           /* local seconds [lo, hi) that match */
	bool sent;
	struct store_uids *out;
};

/* The first nstring of an ENVELOPE, its date, into dst (NUL-terminated);
 * 0 if it is NIL or unreadable. */
static size_t
envelope_date(const struct store_text *e, char *dst, size_t dstsize)
{
	if (e->p == NULL || e->n < 2 || e->p[0] != '(')
		return 0;
	const char *p = e->p + 1, *end = e->p + e->n;
	size_t n = 0;
	if (*p == '"') {
		for (p++; p < end && *p != '"' && n + 1 < dstsize; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			dst[n++] = *p;
		}
		if (p >= end || *p != '"')
			return 0;
	} else if (*p == '{') {
		size_t len = 0;
		for (p++; p < end && *p >= '0' && *p <= '9' && len < dstsize;
		    p++)
			len = len * 10 + (size_t)(*p - '0');
		if (end - p < 3 || memcmp(p, "}\r\n", 3) != 0 ||
		    len >= dstsize || len > (size_t)(end - (p + 3)))
			return 0;
		memcpy(dst, p + 3, len);
		n = len;
	}
	dst[n] = '\0';
	return n;
}

static int
day_cb(void *arg, const struct store_msg *m)
{
	struct day_ctx *x = arg;
	int64_t t = (int64_t)m->internaldate;
	int32_t tz = m->tzoff;
	if (x->sent && m->sentdate != 0) {
		char d[256];
		int64_t pt;
		size_t n = envelope_date(&m->envelope, d, sizeof(d));
		t = (int64_t)m->sentdate;
		if (n == 0 || mime_date_parse((const uint8_t *)d, n, &pt,
		    &tz) < 0)
			tz = 0;
	}
	int64_t off = (int64_t)tz * 60;
	if (off > DAY_SLACK)
		off = DAY_SLACK;
	if (off < -DAY_SLACK)
		off = -DAY_SLACK;
	if (t + off >= x->lo && t + off < x->hi)
		store_uids_add(x->out, m->uid, m->uid);
	return 0;
}

/* Of the messages the store dates in [blo, bhi), the UIDs of those whose
 * own calendar puts them in x's [lo, hi). */
static int
day_near(struct prog *g, enum store_search_op ge, enum store_search_op lt,
    int64_t blo, int64_t bhi, struct day_ctx *x)
{
	struct imap_session *s = g->s;
	struct store_search p;
	store_search_init(&p);
	store_search_u64(&p, ge, blo < 0 ? 0 : (uint64_t)blo);
	store_search_u64(&p, lt, bhi < 0 ? 0 : (uint64_t)bhi);
	store_search_op(&p, STORE_S_AND);
	struct store_search_result r = { 0 };
	int rc = p.failed ? STORE_E_INTERNAL :
	    store_search(s->sc, s->view->id, &p, NULL, 0, &r);
	store_search_free(&p);
	struct store_uids u = { 0 };
	for (size_t i = 0; rc == 0 && i < r.n; i++)
		store_uids_add(&u, r.uids[i], r.uids[i]);
	store_search_result_free(&r);
	if (rc == 0 && u.n > 0)
		rc = store_fetch(s->sc, s->view->id, &u, STORE_F_INTERNALDATE |
		    (x->sent ? STORE_F_ENVELOPE | STORE_F_SENTDATE : 0), 0,
		    day_cb, x);
	store_uids_free(&u);
	return rc;
}

static void
date_key(struct prog *g, enum imap_skey_type t, int32_t day)
{
	bool sent = t == SK_SENTBEFORE || t == SK_SENTON || t == SK_SENTSINCE;
	bool before = t == SK_BEFORE || t == SK_SENTBEFORE;
	bool since = t == SK_SINCE || t == SK_SENTSINCE;
	enum store_search_op ge = sent ? STORE_S_SENTDATE_GE :
	    STORE_S_INTERNALDATE_GE;
	enum store_search_op lt = sent ? STORE_S_SENTDATE_LT :
	    STORE_S_INTERNALDATE_LT;
	int64_t d0 = day < 0 ? 0 : (int64_t)day * 86400;
	int64_t lo = before ? INT64_MIN : d0;
	int64_t hi = since ? INT64_MAX : before ? d0 : d0 + 86400;
	int64_t blo = (before ? hi : lo) - DAY_SLACK;
	int64_t bhi = (since ? lo : hi) + DAY_SLACK;
	struct store_uids near = { 0 };
	struct day_ctx x = { lo, hi, sent, &near };
	int rc = g->store_rc == 0 ? day_near(g, ge, lt, blo, bhi, &x) : 0;
	if (rc < 0)
		g->store_rc = rc;
	bool any = near.n > 0;
	if (any)
		store_search_uids(g->p, &near);
	store_uids_free(&near);
	/* the sure side of the band, if any */
	if (before) {
		store_search_u64(g->p, lt, blo < 0 ? 0 : (uint64_t)blo);
	} else if (since) {
		store_search_u64(g->p, ge, (uint64_t)bhi);
	} else {
		store_search_op(g->p, STORE_S_ALL);
		store_search_op(g->p, STORE_S_NOT);
	}
	if (any)
		store_search_op(g->p, STORE_S_OR);
}

static void
header_key(struct prog *g, const struct imap_skey *k)
{
	static const struct {
		const char *name;
		enum store_search_field f;
	} fields[] = {
		{ "FROM", STORE_SF_FROM }, { "TO", STORE_SF_TO },
		{ "CC", STORE_SF_CC }, { "BCC", STORE_SF_BCC },
		{ "SUBJECT", STORE_SF_SUBJECT },
		{ "MESSAGE-ID", STORE_SF_MESSAGE_ID },
	};
	const char *value = str_of(g, &k->str2);
	if (k->str2.len > 0) {
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			if (strcasecmp(k->str.s, fields[i].name) == 0) {
				store_search_header(g->p, fields[i].f, value);
				return;
			}
		}
	}
	char lower[256];
	size_t n = k->str.len < sizeof(lower) - 1 ? k->str.len :
	    sizeof(lower) - 1;
	for (size_t i = 0; i < n; i++)
		lower[i] = (char)tolower((unsigned char)k->str.s[i]);
	lower[n] = '\0';
	store_search_header_any(g->p, lower, value);
}

static void emit(struct prog *g, const struct imap_skey *k, bool uid);

static void
emit_list(struct prog *g, const struct imap_skey *first, bool uid)
{
	int n = 0;
	for (const struct imap_skey *k = first; k != NULL; k = k->next) {
		emit(g, k, uid);
		if (n++ > 0)
			store_search_op(g->p, STORE_S_AND);
	}
}

static void
emit(struct prog *g, const struct imap_skey *k, bool uid)
{
	switch (k->type) {
	case SK_AND:
		emit_list(g, k->kid, uid);
		break;
	case SK_OR:
		emit(g, k->kid, uid);
		emit(g, k->kid2, uid);
		store_search_op(g->p, STORE_S_OR);
		break;
	case SK_NOT:
		emit(g, k->kid, uid);
		store_search_op(g->p, STORE_S_NOT);
		break;
	case SK_ALL:
		store_search_op(g->p, STORE_S_ALL);
		break;
	case SK_OLD:
		key_recent(g, true);
		break;
	case SK_NEW:
		key_recent(g, false);
		store_search_u32(g->p, STORE_S_FLAGS_UNSET, STORE_FLAG_SEEN);
		store_search_op(g->p, STORE_S_AND);
		break;
	case SK_SEQSET:
		key_set(g, &k->set, false);
		break;
	case SK_UID:
		key_set(g, &k->set, true);
		break;
	case SK_FLAG:
		if (k->flag == IMAP_F_RECENT) {
			key_recent(g, k->negate);
			break;
		}
		store_search_u32(g->p, k->negate ? STORE_S_FLAGS_UNSET :
		    STORE_S_FLAGS_SET, imap_fmt_flags_to_store(k->flag));
		break;
	case SK_KEYWORD:
		store_search_str(g->p, k->negate ? STORE_S_UNKEYWORD :
		    STORE_S_KEYWORD, str_of(g, &k->str));
		break;
	case SK_BEFORE: case SK_ON: case SK_SINCE:
	case SK_SENTBEFORE: case SK_SENTON: case SK_SENTSINCE:
		date_key(g, k->type, k->day);
		break;
	case SK_LARGER:
		store_search_u64(g->p, STORE_S_SIZE_GT, k->num);
		break;
	case SK_SMALLER:
		store_search_u64(g->p, STORE_S_SIZE_LT, k->num);
		break;
	case SK_OLDER:
	case SK_YOUNGER: {
		uint64_t now = (uint64_t)time(NULL);
		uint64_t t = now > k->num ? now - k->num : 0;
		store_search_u64(g->p, k->type == SK_OLDER ?
		    STORE_S_INTERNALDATE_LT : STORE_S_INTERNALDATE_GE, t);
		break;
	}
	case SK_HEADER:
		header_key(g, k);
		break;
	case SK_BODY:
		store_search_str(g->p, STORE_S_BODY, str_of(g, &k->str));
		break;
	case SK_TEXT:
		store_search_str(g->p, STORE_S_TEXT, str_of(g, &k->str));
		break;
	case SK_MODSEQ:
		g->used_modseq = true;
		store_search_u64(g->p, STORE_S_MODSEQ_GE, k->num);
		break;
	}
}

/* The matches as UIDs (uid) or sequence numbers, in a set. */
static void
result_set(struct imap_session *s, const struct store_search_result *r,
    bool uid, struct store_uids *out)
{
	for (size_t i = 0; i < r->n; i++) {
		size_t seq = imap_view_seq(s->view, r->uids[i]);
		if (seq == 0 || seq > s->view->announced)
			continue;
		uint32_t v = uid ? r->uids[i] : (uint32_t)seq;
		store_uids_add(out, v, v);
	}
}

static void
esearch_out(struct imap_session *s, struct imap_cmd *c,
    const struct store_search_result *r, uint64_t modseq)
{
	struct imap_search_args *a = &c->a.search;
	struct store_uids set = { 0 };
	result_set(s, r, c->uid, &set);
	struct buf *b = imap_out_buf(s);
	buf_printf(b, "* ESEARCH (TAG \"%s\")%s", c->tag, c->uid ? " UID" : "");
	uint64_t count = store_uids_count(&set);
	if ((a->ret & SR_MIN) && count > 0)
		buf_printf(b, " MIN %u", set.r[0].lo);
	if ((a->ret & SR_MAX) && count > 0)
		buf_printf(b, " MAX %u", set.r[set.n - 1].hi);
	if (a->ret & SR_COUNT)
		buf_printf(b, " COUNT %llu", (unsigned long long)count);
	if ((a->ret & SR_ALL) && count > 0) {
		buf_append_str(b, " ALL ");
		imap_fmt_uids(b, &set);
	}
	if (modseq != 0 && count > 0)
		buf_printf(b, " MODSEQ %llu", (unsigned long long)modseq);
	buf_append_str(b, "\r\n");
	store_uids_free(&set);
}

/* The matches the session may see, as UIDs or sequence numbers, in the
 * store's order; 0 for one it may not. */
static uint32_t
result_id(struct imap_session *s, const struct store_search_result *r,
    size_t i, bool uid)
{
	size_t seq = imap_view_seq(s->view, r->uids[i]);
	if (seq == 0 || seq > s->view->announced)
		return 0;
	return uid ? r->uids[i] : (uint32_t)seq;
}

/* ESORT (RFC 5267 3.2): MIN and MAX are the first and last in the sort
 * order, ALL keeps that order (only ascending runs become ranges). -1 if
 * the client went away while a long ALL was being flushed. */
static int
esort_out(struct imap_session *s, struct imap_cmd *c,
    const struct store_search_result *r, uint64_t modseq)
{
	struct imap_search_args *a = &c->a.search;
	struct buf *b = imap_out_buf(s);
	uint32_t first = 0, last = 0;
	uint64_t count = 0;
	for (size_t i = 0; i < r->n; i++) {
		uint32_t v = result_id(s, r, i, c->uid);
		if (v != 0) {
			first = count++ == 0 ? v : first;
			last = v;
		}
	}
	buf_printf(b, "* ESEARCH (TAG \"%s\")%s", c->tag, c->uid ? " UID" : "");
	if ((a->ret & SR_MIN) && count > 0)
		buf_printf(b, " MIN %u", first);
	if ((a->ret & SR_MAX) && count > 0)
		buf_printf(b, " MAX %u", last);
	if (a->ret & SR_COUNT)
		buf_printf(b, " COUNT %llu", (unsigned long long)count);
	if ((a->ret & SR_ALL) && count > 0) {
		buf_append_str(b, " ALL ");
		uint32_t run = 0, prev = 0;
		for (size_t i = 0, k = 0; i < r->n; i++) {
			uint32_t v = result_id(s, r, i, c->uid);
			if (v == 0 || (k > 0 && v == prev + 1)) {
				prev = v ? v : prev;
				continue;
			}
			if (k++ > 0)
				buf_printf(b, run == prev ? "%u," : "%u:%u,", run,
				    prev);
			run = prev = v;
			if ((k & 1023) == 1023 && !imap_flush_some(s))
				return -1;
		}
		buf_printf(b, run == prev ? "%u" : "%u:%u", run, prev);
	}
	if (modseq != 0 && count > 0)
		buf_printf(b, " MODSEQ %llu", (unsigned long long)modseq);
	buf_append_str(b, "\r\n");
	return 0;
}

/* THREAD: the matches' ids, dates and subjects, in mailbox order. */
struct thread_ctx {
	struct imap_session *s;
	bool uid;
	struct imap_thread_msg *m;
	size_t n, cap;
	bool failed;
};

static const char *
text_dup(struct thread_ctx *x, const struct store_text *t)
{
	if (t->p == NULL || t->n == 0)
		return NULL;
	char *d = malloc(t->n + 1);
	if (d == NULL) {
		x->failed = true;
		return NULL;
	}
	memcpy(d, t->p, t->n);
	d[t->n] = '\0';
	return d;
}

static int
thread_cb(void *arg, const struct store_msg *sm)
{
	struct thread_ctx *x = arg;
	size_t seq = imap_view_seq(x->s->view, sm->uid);
	if (seq == 0 || seq > x->s->view->announced || x->failed)
		return 0;
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 256;
		struct imap_thread_msg *m = realloc(x->m, cap * sizeof(*m));
		if (m == NULL) {
			x->failed = true;
			return 0;
		}
		x->m = m;
		x->cap = cap;
	}
	struct imap_thread_msg *m = &x->m[x->n++];
	m->seq = x->uid ? sm->uid : (uint32_t)seq;
	m->date = (int64_t)(sm->sentdate ? sm->sentdate : sm->internaldate);
	m->subject = text_dup(x, &sm->subject);
	m->msgid = text_dup(x, &sm->message_id);
	m->inreplyto = text_dup(x, &sm->in_reply_to);
	m->refs = text_dup(x, &sm->references);
	return 0;
}

static void
thread_free(struct thread_ctx *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free((char *)x->m[i].subject);
		free((char *)x->m[i].msgid);
		free((char *)x->m[i].inreplyto);
		free((char *)x->m[i].refs);
	}
	free(x->m);
}

/* "* THREAD ..." for the matches r; 1 if sent, 0 if a NO was, -1 if the
 * session must end. */
static int
thread_out(struct imap_session *s, struct imap_cmd *c,
    const struct store_search_result *r)
{
	struct store_uids u = { 0 };
	for (size_t i = 0; i < r->n; i++)
		store_uids_add(&u, r->uids[i], r->uids[i]);
	struct thread_ctx x = { .s = s, .uid = c->uid };
	int rc = u.n == 0 ? 0 : store_fetch(s->sc, s->view->id, &u,
	    STORE_F_ADDRS | STORE_F_SENTDATE | STORE_F_INTERNALDATE, 0,
	    thread_cb, &x);
	store_uids_free(&u);
	struct buf t = BUF_INIT((size_t)1 << 30);
	if (rc == 0 && !x.failed)
		rc = (c->a.search.thread == IMAP_THREAD_REFERENCES ?
		    imap_thread_references : imap_thread_orderedsubject)(x.m,
		    x.n, &t) < 0 ? STORE_E_INTERNAL : 0;
	else if (rc == 0)
		rc = STORE_E_INTERNAL;
	thread_free(&x);
	if (rc < 0) {
		buf_free(&t);
		if (imap_store_fatal(rc))
			return -1;
		imap_tagged(s, "NO", NULL, "THREAD failed");
		return 0;
	}
	struct buf *b = imap_out_buf(s);
	buf_append_str(b, "* THREAD ");
	for (size_t off = 0; off < t.len;) {
		size_t k = t.len - off > 65536 ? 65536 : t.len - off;
		if (buf_append(b, t.data + off, k) < 0 || !imap_flush_some(s)) {
			buf_free(&t);
			return -1;
		}
		off += k;
	}
	buf_append_str(b, "\r\n");
	buf_free(&t);
	return 1;
}

static int
max_modseq_cb(void *arg, const struct store_msg *m)
{
	uint64_t *best = arg;
	if (m->modseq > *best)
		*best = m->modseq;
	return 0;
}

int
imap_cmd_search(struct imap_session *s, struct imap_cmd *c)
{
	struct imap_search_args *a = &c->a.search;
	/* IMAP4rev2 has no SEARCH response: a SEARCH without RETURN answers
	 * ESEARCH with ALL (RFC 9051 6.4.4); SORT and THREAD keep theirs */
	if ((s->enabled & IMAP_EN_IMAP4REV2) && !a->esearch && !a->nsort &&
	    !a->thread) {
		a->esearch = true;
		a->ret = SR_ALL;
	}
	struct store_search p;
	store_search_init(&p);
	struct prog g = { .s = s, .p = &p };
	emit(&g, a->key, c->uid);
	if (g.store_rc < 0) {
		store_search_free(&p);
		if (imap_store_fatal(g.store_rc))
			return -1;
		imap_tagged_store_error(s, g.store_rc, "SEARCH");
		return 0;
	}
	if (g.too_long || p.failed) {
		store_search_free(&p);
		imap_tagged(s, "NO", "LIMIT", "Search too complex");
		return 0;
	}
	/* SORT: the store orders by the keys, then by UID (RFC 5256: ties
	 * go in mailbox order) */
	static const uint32_t sort_keys[] = {
		[IMAP_SORT_ARRIVAL] = STORE_SORT_ARRIVAL,
		[IMAP_SORT_CC] = STORE_SORT_CC, [IMAP_SORT_DATE] = STORE_SORT_DATE,
		[IMAP_SORT_FROM] = STORE_SORT_FROM,
		[IMAP_SORT_SIZE] = STORE_SORT_SIZE,
		[IMAP_SORT_SUBJECT] = STORE_SORT_SUBJECT,
		[IMAP_SORT_TO] = STORE_SORT_TO,
		[IMAP_SORT_DISPLAYFROM] = STORE_SORT_DISPLAYFROM,
		[IMAP_SORT_DISPLAYTO] = STORE_SORT_DISPLAYTO,
	};
	uint32_t sort[IMAP_SORT_MAX];
	for (size_t i = 0; i < a->nsort; i++)
		sort[i] = sort_keys[a->sort[i] & ~IMAP_SORT_REVERSE] |
		    ((a->sort[i] & IMAP_SORT_REVERSE) ? STORE_SORT_REVERSE : 0);
	struct store_search_result r = { 0 };
	int rc = store_search(s->sc, s->view->id, &p, a->nsort ? sort : NULL,
	    a->nsort, &r);
	store_search_free(&p);
	if (rc < 0) {
		store_search_result_free(&r);
		if (imap_store_fatal(rc))
			return -1;
		imap_tagged_store_error(s, rc, "SEARCH");
		return 0;
	}
	if (a->thread) {
		rc = thread_out(s, c, &r);
		store_search_result_free(&r);
		if (rc > 0)
			imap_tagged(s, "OK", NULL, "THREAD completed");
		return rc < 0 ? -1 : 0;
	}
	if (g.used_modseq)
		imap_condstore_on(s);
	uint64_t modseq = g.used_modseq ? r.highestmodseq : 0;
	/* RFC 7162 3.1.10: with MIN/MAX but not ALL/COUNT, MODSEQ is that of
	 * the messages returned */
	if (modseq != 0 && a->esearch && r.n > 0 &&
	    (a->ret & (SR_MIN | SR_MAX)) && !(a->ret & (SR_ALL | SR_COUNT))) {
		struct store_uids u = { 0 };
		if (a->ret & SR_MIN)
			store_uids_add(&u, r.uids[0], r.uids[0]);
		if (a->ret & SR_MAX)
			store_uids_add(&u, r.uids[r.n - 1], r.uids[r.n - 1]);
		uint64_t best = 0;
		rc = store_fetch(s->sc, s->view->id, &u, STORE_F_FLAGS, 0,
		    max_modseq_cb, &best);
		store_uids_free(&u);
		if (imap_store_fatal(rc)) {
			store_search_result_free(&r);
			return -1;
		}
		if (rc == 0 && best != 0)
			modseq = best;
	}
	if (a->ret & SR_SAVE) {
		/* $ keeps UIDs: sequence numbers would drift */
		store_uids_clear(&s->view->saved);
		result_set(s, &r, true, &s->view->saved);
	}
	if (a->esearch && (a->ret & ~(uint32_t)SR_SAVE) && a->nsort) {
		if (esort_out(s, c, &r, modseq) < 0) {
			store_search_result_free(&r);
			return -1;
		}
	} else if (a->esearch && (a->ret & ~(uint32_t)SR_SAVE)) {
		esearch_out(s, c, &r, modseq);
	} else if (!a->esearch) {
		struct buf *b = imap_out_buf(s);
		buf_append_str(b, a->nsort ? "* SORT" : "* SEARCH");
		for (size_t i = 0; i < r.n; i++) {
			size_t seq = imap_view_seq(s->view, r.uids[i]);
			if (seq == 0 || seq > s->view->announced)
				continue;
			buf_printf(b, " %u", c->uid ? r.uids[i] : (uint32_t)seq);
			if ((i & 1023) == 1023 && !imap_flush_some(s)) {
				store_search_result_free(&r);
				return -1;
			}
		}
		if (modseq != 0 && r.n > 0)
			buf_printf(b, " (MODSEQ %llu)", (unsigned long long)modseq);
		buf_append_str(b, "\r\n");
	}
	store_search_result_free(&r);
	imap_tagged(s, "OK", NULL, a->nsort ? "SORT completed" :
	    "SEARCH completed");
	return 0;
}
