/* search: program decoding, compilation to SQL, sorting (see search.h). */
#include "search.h"
#include "search_thread.h"
#include "textmatch.h"
#include "budget.h"
#include "buf.h"
#include "request.h"
#include "db.h"
#include "handlers.h"
#include "idmap.h"
#include "ipc.h"
#include "log.h"
#include "mailbox.h"
#include "slice.h"
#include "store_proto.h"
#include "user.h"
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#define SQL_MAX (256 * 1024)
#define STR_MAX STORE_SEARCH_STR_MAX
#define MAX_PARAMS (STORE_SEARCH_MAX_KEYS * 2)
#define MAX_SORT 16

enum pkind { P_INT, P_TEXT, P_BLOB };

struct param {
	enum pkind kind;
	int64_t v;
	uint8_t *p;          /* owned */
	size_t n;
};

struct compile {
	struct buf_cur c;
	struct udb *d;
	struct buf stack[STORE_SEARCH_MAX_DEPTH];
	int depth;
	struct param params[MAX_PARAMS];
	int nparams;
	bool blob;           /* the WHERE clause needs the blobs table */
	bool hdr;            /* ... or the header fields (blobhdr) */
	const char *err;
	/* the operands of keyword sort keys (STORE_S_SORT_KEYWORD) */
	struct {
		uint32_t flag, n;
		uint8_t kw[STORE_KEYWORD_MAX];
	} sortkw[STORE_SORT_OPERANDS];
	int nsortkw;
};

static int
lc(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/* ---- compilation ------------------------------------------------------------------ */

static int
cfail(struct compile *cp, const char *why)
{
	if (cp->err == NULL)
		cp->err = why;
	return -1;
}

static struct buf *
push(struct compile *cp)
{
	if (cp->depth >= STORE_SEARCH_MAX_DEPTH) {
		cfail(cp, "search program too deep");
		return NULL;
	}
	struct buf *b = &cp->stack[cp->depth++];
	buf_reset(b);
	return b;
}

/* A new parameter; its number for the SQL text (?N). */
static int
param(struct compile *cp, enum pkind kind, int64_t v, const void *p, size_t n)
{
	if (cp->nparams >= MAX_PARAMS)
		return cfail(cp, "too many search keys");
	struct param *q = &cp->params[cp->nparams];
	q->kind = kind;
	q->v = v;
	q->p = NULL;
	q->n = n;
	if (kind != P_INT) {
		q->p = malloc(n + 1);
		if (q->p == NULL)
			return cfail(cp, "out of memory");
		if (n > 0)
			memcpy(q->p, p, n);
	}
	/* ?1 is the mailbox id */
	return ++cp->nparams + 1;
}

static int
get_u32(struct compile *cp, uint32_t *v)
{
	return buf_get_u32(&cp->c, v) < 0 ? cfail(cp, "short search program") : 0;
}

static int
get_u64(struct compile *cp, uint64_t *v)
{
	return buf_get_u64(&cp->c, v) < 0 ? cfail(cp, "short search program") : 0;
}

static int
get_str(struct compile *cp, const uint8_t **p, uint32_t *n)
{
	if (get_u32(cp, n) < 0)
		return -1;
	if (*n > STR_MAX)
		return cfail(cp, "search string too long");
	if (buf_get_bytes(&cp->c, p, *n) < 0 || memchr(*p, '\0', *n) != NULL)
		return cfail(cp, "bad search string");
	return 0;
}

/* Append tmpl with each '#' replaced by the parameter ?k. */
static int
emit(struct buf *b, const char *tmpl, int k)
{
	for (const char *t = tmpl; *t != '\0'; t++)
		if (*t == '#')
			buf_printf(b, "?%d", k);
		else
			buf_append_byte(b, (uint8_t)*t);
	return b->failed ? -1 : 0;
}

/* A leaf with one integer parameter. */
static int
leaf(struct compile *cp, const char *tmpl, int64_t v)
{
	struct buf *b = push(cp);
	if (b == NULL)
		return -1;
	int n = param(cp, P_INT, v, NULL, 0);
	if (n < 0)
		return -1;
	return emit(b, tmpl, n);
}

static int
lower_param(struct compile *cp, const uint8_t *p, uint32_t n)
{
	int k = param(cp, P_TEXT, 0, p, n);
	if (k < 0)
		return -1;
	uint8_t *q = cp->params[k - 2].p;
	for (uint32_t i = 0; i < n; i++)
		q[i] = (uint8_t)lc(q[i]);
	return k;
}

/* An FTS5 query for the phrase, last word a prefix: 'cols : "..." *'.
 * The words come from the tokenizer, so quotes are the only syntax. */
static int
fts_param(struct compile *cp, const char *cols, const uint8_t *p, uint32_t n)
{
	struct buf q = BUF_INIT(STR_MAX * 2 + 64);
	buf_printf(&q, "%s : \"", cols);
	bool word = false;
	for (uint32_t i = 0; i < n; i++) {
		if (p[i] == '"')
			buf_append(&q, "\"\"", 2);
		else
			buf_append_byte(&q, p[i]);
		if ((p[i] >= '0' && p[i] <= '9') || (lc(p[i]) >= 'a' && lc(p[i]) <= 'z') ||
		    p[i] >= 0x80)
			word = true;
	}
	buf_append_str(&q, "\" *");
	int k = -1;
	if (!word)
		k = 0;       /* nothing the index can find: match everything */
	else if (!q.failed)
		k = param(cp, P_TEXT, 0, q.data, q.len);
	else
		cfail(cp, "search string too long");
	buf_free(&q);
	return k;
}

static const char *const header_cols[] = {
	[STORE_SF_FROM] = "h.hfrom", [STORE_SF_TO] = "h.hto",
	[STORE_SF_CC] = "h.hcc", [STORE_SF_BCC] = "h.hbcc",
	[STORE_SF_SUBJECT] = "h.hsubject", [STORE_SF_MESSAGE_ID] = "h.msgid",
};

static int
combine(struct compile *cp, const char *op)
{
	if (cp->depth < 2)
		return cfail(cp, "search operator without operands");
	struct buf *a = &cp->stack[cp->depth - 2], *b = &cp->stack[cp->depth - 1];
	struct buf t = BUF_INIT(SQL_MAX);
	buf_printf(&t, "(%s %s ", buf_cstr(a), op);
	buf_append(&t, b->data, b->len);
	buf_append_byte(&t, ')');
	buf_reset(a);
	buf_append(a, t.data, t.len);
	buf_free(&t);
	cp->depth--;
	return a->failed ? cfail(cp, "search program too large") : 0;
}

/* Keys that compare a column with one u64 operand ('#' in the SQL). */
static const struct {
	uint8_t op;
	bool blob;            /* the column is in the blob table */
	bool id;              /* an id: any u64 (else clamped to INT64_MAX) */
	const char *sql;
} u64_keys[] = {
	{ STORE_S_INTERNALDATE_GE, false, false, "m.internaldate >= #" },
	{ STORE_S_INTERNALDATE_LT, false, false, "m.internaldate < #" },
	{ STORE_S_SAVEDATE_GE, false, false, "m.savedate >= #" },
	{ STORE_S_SAVEDATE_LT, false, false, "m.savedate < #" },
	{ STORE_S_MODSEQ_GE, false, false, "m.modseq >= #" },
	{ STORE_S_MAILBOX, false, false, "m.mailbox = #" },
	/* RFC 9051: a message without a Date: is dated by its internal date */
	{ STORE_S_SENTDATE_GE, true, false, "(CASE WHEN b.sentdate != 0 THEN"
	    " b.sentdate ELSE m.internaldate END) >= #" },
	{ STORE_S_SENTDATE_LT, true, false, "(CASE WHEN b.sentdate != 0 THEN"
	    " b.sentdate ELSE m.internaldate END) < #" },
	{ STORE_S_SIZE_GT, true, false, "b.size > #" },
	{ STORE_S_SIZE_LT, true, false, "b.size < #" },
	{ STORE_S_EMAILID, true, true, "b.emailid = #" },
	{ STORE_S_THREADID, true, false, "b.thread = #" },
	{ STORE_S_INFO_SET, true, false, "(b.info & #) != 0" },
};

static int
u64_key(struct compile *cp, uint8_t op, bool *handled)
{
	uint64_t v;
	for (size_t i = 0; i < sizeof(u64_keys) / sizeof(u64_keys[0]); i++) {
		if (u64_keys[i].op != op)
			continue;
		*handled = true;
		if (get_u64(cp, &v) < 0)
			return -1;
		if (!u64_keys[i].id && v > INT64_MAX)
			v = INT64_MAX;
		if (u64_keys[i].blob)
			cp->blob = true;
		return leaf(cp, u64_keys[i].sql, (int64_t)v);
	}
	*handled = false;
	return 0;
}

/* A UID set: a blob parameter for uidin() (binary search, any size). */
static int
uids_key(struct compile *cp)
{
	static struct store_uids set;
	static struct buf packed = BUF_INIT(STORE_MAX_RANGES * 8);
	uint32_t n;
	const uint8_t *pairs;
	struct buf *b;
	int k;
	if (get_u32(cp, &n) < 0)
		return -1;
	if (n > STORE_MAX_RANGES)
		return cfail(cp, "UID set too large");
	if (buf_get_bytes(&cp->c, &pairs, (size_t)n * 8) < 0)
		return cfail(cp, "short search program");
	if (store_uids_from_pairs(pairs, (size_t)n * 8, &set) < 0)
		return cfail(cp, "bad UID range");
	/* uidin() reads the same pairs, now sorted and merged */
	buf_reset(&packed);
	if (buf_reserve(&packed, set.n * 8) < 0)
		return cfail(cp, "UID set too large");
	store_uids_to_pairs(packed.data, &set);
	packed.len = set.n * 8;
	if ((b = push(cp)) == NULL ||
	    (k = param(cp, P_BLOB, 0, packed.data, packed.len)) < 0)
		return -1;
	return buf_printf(b, "uidin(m.uid, ?%d)", k);
}

static int
negate(struct compile *cp)
{
	if (cp->depth < 1)
		return cfail(cp, "NOT without operand");
	struct buf *b = &cp->stack[cp->depth - 1];
	struct buf t = BUF_INIT(SQL_MAX);
	buf_printf(&t, "(NOT %s)", buf_cstr(b));
	buf_reset(b);
	buf_append(b, t.data, t.len);
	buf_free(&t);
	return b->failed ? cfail(cp, "search program too large") : 0;
}

/* STORE_S_THREAD_SOME, _ALL and STORE_S_SORT_KEYWORD: u32 flag, str. */
static int
keyword_operand_key(struct compile *cp, uint8_t op)
{
	uint32_t flag, n;
	const uint8_t *p;
	struct buf *b;
	if (get_u32(cp, &flag) < 0 || get_str(cp, &p, &n) < 0 ||
	    (b = push(cp)) == NULL)
		return -1;
	if ((flag == 0) == (n == 0) || n > STORE_KEYWORD_MAX ||
	    (flag & ~STORE_FLAGS_ALL) != 0)
		return cfail(cp, "bad keyword operand");
	if (op == STORE_S_SORT_KEYWORD) {
		if (cp->nsortkw >= STORE_SORT_OPERANDS)
			return cfail(cp, "too many sort operands");
		cp->sortkw[cp->nsortkw].flag = flag;
		cp->sortkw[cp->nsortkw].n = n;
		if (n > 0)
			memcpy(cp->sortkw[cp->nsortkw].kw, p, n);
		cp->nsortkw++;
		return buf_append_str(b, "1");
	}
	cp->blob = true;
	if (search_kw_sql(cp->d, op == STORE_S_THREAD_SOME ? KW_THREAD_SOME :
	    KW_THREAD_ALL, flag, p, n, b) < 0)
		return cfail(cp, "search program too large");
	return 0;
}

static int
key(struct compile *cp, uint8_t op)
{
	uint32_t u, n, n2;
	const uint8_t *p, *p2;
	struct buf *b;
	int k, k2, bit;
	bool handled;

	int rc = u64_key(cp, op, &handled);
	if (handled)
		return rc;
	switch (op) {
	case STORE_S_ALL:
		return (b = push(cp)) ? buf_append_str(b, "1") : -1;
	case STORE_S_AND:
		return combine(cp, "AND");
	case STORE_S_OR:
		return combine(cp, "OR");
	case STORE_S_NOT:
		return negate(cp);
	case STORE_S_UIDS:
		return uids_key(cp);
	case STORE_S_THREAD_SOME:
	case STORE_S_THREAD_ALL:
	case STORE_S_SORT_KEYWORD:
		return keyword_operand_key(cp, op);
	case STORE_S_FLAGS_SET:
	case STORE_S_FLAGS_UNSET:
		if (get_u32(cp, &u) < 0)
			return -1;
		if (u & ~STORE_FLAGS_ALL)
			return cfail(cp, "unknown flag bits");
		return leaf(cp, op == STORE_S_FLAGS_SET ? "(m.flags & #) = #"
		    : "(m.flags & #) = 0", u);
	case STORE_S_KEYWORD:
	case STORE_S_UNKEYWORD:
		if (get_str(cp, &p, &n) < 0)
			return -1;
		bit = db_keyword_bit(cp->d, (const char *)p, n, false);
		if (bit < 0)      /* a keyword nobody has: known answer */
			return (b = push(cp)) ?
			    buf_append_str(b, op == STORE_S_KEYWORD ? "0" : "1") : -1;
		return leaf(cp, op == STORE_S_KEYWORD ? "(m.kw & #) != 0" :
		    "(m.kw & #) = 0", (int64_t)(1ull << bit));
	case STORE_S_HEADER:
		if (get_u32(cp, &u) < 0 || get_str(cp, &p, &n) < 0)
			return -1;
		if (u < STORE_SF_FROM || u > STORE_SF_MESSAGE_ID)
			return cfail(cp, "unknown header field");
		cp->hdr = true;
		if ((b = push(cp)) == NULL || (k = lower_param(cp, p, n)) < 0)
			return -1;
		return buf_printf(b, "textin(%s, ?%d)", header_cols[u], k);
	case STORE_S_HEADER_ANY:
		if (get_str(cp, &p, &n) < 0 || get_str(cp, &p2, &n2) < 0)
			return -1;
		if (n == 0)
			return cfail(cp, "empty header name");
		cp->hdr = true;
		if ((b = push(cp)) == NULL || (k = lower_param(cp, p, n)) < 0 ||
		    (k2 = param(cp, P_TEXT, 0, p2, n2)) < 0)
			return -1;
		return buf_printf(b, "hdrmatch(h.headers, ?%d, ?%d)", k, k2);
	case STORE_S_BODY:
	case STORE_S_TEXT:
		if (get_str(cp, &p, &n) < 0 || (b = push(cp)) == NULL)
			return -1;
		/* the word index finds words and word prefixes, folding
		 * diacritics; the scan of the stored text adds what RFC 3501
		 * asks for, any substring (Dovecot and Cyrus without an FTS
		 * plugin read every message for it). Either one matches. */
		k = fts_param(cp, op == STORE_S_BODY ? "body" : "{hdr body}", p, n);
		if (k < 0 || (k2 = lower_param(cp, p, n)) < 0)
			return -1;
		if (k > 0)
			buf_printf(b, "(m.blob IN (SELECT rowid FROM fts WHERE fts"
			    " MATCH ?%d) OR ", k);
		/* each message's text once per key, however many rows
		 * (copies) name it */
		buf_printf(b, "coalesce(textseen(m.blob, %d), EXISTS (SELECT 1"
		    " FROM fts WHERE fts.rowid = m.blob AND textnote(m.blob, %d,"
		    " textin(fts.body, ?%d)", k2, k2, k2);
		if (op == STORE_S_TEXT)
			buf_printf(b, " OR textin(fts.hdr, ?%d)", k2);
		return buf_append_str(b, k > 0 ? "))))" : ")))");
	default:
		return cfail(cp, "unknown search key");
	}
}

static void
compile_free(struct compile *cp)
{
	for (int i = 0; i < STORE_SEARCH_MAX_DEPTH; i++)
		buf_free(&cp->stack[i]);
	for (int i = 0; i < cp->nparams; i++)
		free(cp->params[i].p);
}

static int
compile(struct compile *cp, const uint8_t *prog, size_t len)
{
	unsigned nkeys = 0;
	for (int i = 0; i < STORE_SEARCH_MAX_DEPTH; i++)
		buf_init(&cp->stack[i], SQL_MAX);
	buf_cur_init(&cp->c, prog, len);
	while (cp->c.left > 0) {
		uint8_t op;
		buf_get_u8(&cp->c, &op);
		if (++nkeys > STORE_SEARCH_MAX_KEYS)
			return cfail(cp, "too many search keys");
		if (key(cp, op) < 0)
			return cfail(cp, "search program too large");
	}
	if (cp->depth != 1)
		return cfail(cp, "search program must leave one value");
	return 0;
}

/* ---- a set of email ids (deduplication of all-mailbox results) -------------------- */

static struct idmap seen, seen_thread, by_email_memo;

/* true if e was not in the set (and is now; a duplicate rather than a
 * loss when out of memory) */
static bool
seen_add(struct idmap *set, uint64_t e)
{
	uint8_t v;
	if (idmap_get(set, e, &v))
		return false;
	(void)idmap_put(set, e, 1);
	return true;
}

/* ---- sorting ------------------------------------------------------------------------ */

static const char *const sort_cols[] = {
	[STORE_SORT_ARRIVAL] = "m.internaldate",
	[STORE_SORT_CC] = "h.sort_cc COLLATE ASCII_CASEMAP",
	[STORE_SORT_DATE] = "(CASE WHEN b.sentdate != 0 THEN b.sentdate"
	    " ELSE m.internaldate END)",
	[STORE_SORT_FROM] = "h.sort_from COLLATE ASCII_CASEMAP",
	[STORE_SORT_SIZE] = "b.size",
	[STORE_SORT_SUBJECT] = "h.sort_subject COLLATE ASCII_CASEMAP",
	[STORE_SORT_TO] = "h.sort_to COLLATE ASCII_CASEMAP",
	[STORE_SORT_DISPLAYFROM] = "h.disp_from COLLATE ASCII_CASEMAP",
	[STORE_SORT_DISPLAYTO] = "h.disp_to COLLATE ASCII_CASEMAP",
	[STORE_SORT_MODSEQ] = "m.modseq",
	[STORE_SORT_UID] = "m.uid",
};

/* A keyword sort key: its operand's condition, false before true. */
static int
keyword_order(const struct compile *cp, uint32_t key, struct buf *sql,
    bool *blob)
{
	uint32_t i = (key >> 16) & 0xffu;
	uint32_t k = key & 0xffu;
	if ((int64_t)i >= cp->nsortkw)
		return -1;
	if (k != STORE_SORT_HASKEYWORD)
		*blob = true;
	return search_kw_sql(cp->d, k == STORE_SORT_HASKEYWORD ? KW_MESSAGE :
	    k == STORE_SORT_THREAD_SOME ? KW_THREAD_SOME : KW_THREAD_ALL,
	    cp->sortkw[i].flag, cp->sortkw[i].kw, cp->sortkw[i].n, sql);
}

static int
order_by(const struct compile *cp, struct buf *sql, const uint32_t *keys,
    uint32_t n, bool *blob, bool *hdr)
{
	buf_append_str(sql, " ORDER BY ");
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = keys[i] & 0xffu;
		bool operand = k >= STORE_SORT_HASKEYWORD;
		if ((keys[i] & ~(STORE_SORT_REVERSE | 0xffu |
		    (operand ? 0xff0000u : 0))) != 0 ||
		    k < STORE_SORT_ARRIVAL || k > STORE_SORT_THREAD_ALL)
			return -1;
		if (operand) {
			if (keyword_order(cp, keys[i], sql, blob) < 0)
				return -1;
		} else {
			if (strstr(sort_cols[k], "b.") != NULL)
				*blob = true;
			if (strstr(sort_cols[k], "h.") != NULL)
				*hdr = true;
			buf_append_str(sql, sort_cols[k]);
		}
		buf_printf(sql, "%s, ", (keys[i] & STORE_SORT_REVERSE) ?
		    " DESC" : "");
	}
	buf_append_str(sql, "m.uid");
	return 0;
}

static void
bind_params(sqlite3_stmt *st, const struct param *params, int n)
{
	for (int i = 0; i < n; i++) {
		const struct param *q = &params[i];
		if (q->kind == P_INT)
			sqlite3_bind_int64(st, i + 2, q->v);
		else if (q->kind == P_TEXT)
			sqlite3_bind_text(st, i + 2, (const char *)q->p, (int)q->n,
			    SQLITE_STATIC);
		else
			sqlite3_bind_blob(st, i + 2, q->p, (int)q->n, SQLITE_STATIC);
	}
}

static int
prepare(struct udb *d, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v3(d->db, sql, -1, 0, st, NULL) == SQLITE_OK)
		return 0;
	log_warn("user %s: search: %s", d->u->name, sqlite3_errmsg(d->db));
	*st = NULL;
	return -1;
}

/* A page of the result (JMAP Email/query's position or anchor, then
 * limit), and whether a thread shows only its first email in the sort. */
struct email_window {
	int64_t position, anchor_offset;
	uint64_t anchor;               /* an email id; 0: position */
	uint64_t limit;
	bool collapse;
};

struct id_list {
	uint64_t *v;
	size_t n, cap;
};

static int
ids_add(struct id_list *l, uint64_t id)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 1024;
		uint64_t *nv = realloc(l->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = id;
	return 0;
}

/* [*start, *end) of the ids the window names; false: the anchor is not
 * among them. RFC 8620 section 5.5. */
static bool
window_bounds(const struct email_window *w, const struct id_list *l,
    size_t *start, size_t *end)
{
	int64_t p = w->position, n = (int64_t)l->n;
	if (w->anchor != 0) {
		size_t i = 0;
		while (i < l->n && l->v[i] != w->anchor)
			i++;
		if (i == l->n)
			return false;
		p = (int64_t)i + w->anchor_offset;
		if (p < 0)
			p = 0;
	} else if (p < 0) {
		p = n + p < 0 ? 0 : n + p;
	}
	*start = p > n ? l->n : (size_t)p;
	*end = w->limit < l->n - *start ? *start + w->limit : l->n;
	return true;
}

/* The windowed answer: the page, then trailer high modseq, total,
 * position. */
static int
send_window(struct req *r, const struct email_window *w,
    const struct id_list *l, uint64_t high)
{
	size_t start, end;
	if (!window_bounds(w, l, &start, &end))
		return req_fail(r, IPC_ERR_NOTFOUND, "anchor not found");
	req_reply_stream(r);
	for (size_t i = start; i < end; i++) {
		req_item(r);
		ipc_put_u64(r->rb, l->v[i]);
	}
	req_end(r);
	ipc_put_u64(r->rb, high);
	ipc_put_u64(r->rb, l->n);
	ipc_put_u64(r->rb, start);
	return 0;
}

/* Every mailbox of the user, one entry per email (JMAP Email/query): one
 * statement, within the request's budget. w NULL: every match streamed;
 * else only w's page (collected first: the total and an anchor need all). */
static int
search_by_email(struct req *r, struct compile *cp, const char *where,
    const char *order, const struct email_window *w)
{
	struct buf sql = BUF_INIT(SQL_MAX * 2);
	sqlite3_stmt *st = NULL;
	struct id_list page = { 0 };
	int rc;
	buf_printf(&sql, "SELECT b.emailid, m.modseq, b.thread FROM msgs m"
	    " JOIN blob b ON b.id=m.blob%s WHERE ?1 = 0 AND %s%s",
	    cp->hdr || strstr(order, "h.") ? " JOIN blobhdr h ON h.id=m.blob"
	    : "", where, order);
	if (buf_cstr(&sql) == NULL || prepare(r->d, buf_cstr(&sql), &st) < 0) {
		buf_free(&sql);
		return req_fail(r, IPC_ERR_MALFORMED, "search too large");
	}
	sqlite3_bind_int64(st, 1, 0);
	bind_params(st, cp->params, cp->nparams);
	/* one statement, not sliced: it holds the shard while it scans */
	budget_cap_text(BUDGET_UNSLICED_TEXT);
	if (w == NULL)
		req_reply_stream(r);
	uint64_t high = 0;
	bool oom = false;
	idmap_reset(&seen);
	idmap_reset(&seen_thread);
	idmap_reset(&by_email_memo);
	search_fn_use_memo(&by_email_memo);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t ms = (uint64_t)sqlite3_column_int64(st, 1);
		if (ms > high)
			high = ms;
		/* an email in several mailboxes: once, where the sort meets
		 * it first; so is a thread when collapsed */
		uint64_t e = (uint64_t)sqlite3_column_int64(st, 0);
		if (!seen_add(&seen, e))
			continue;
		if (w == NULL) {
			req_item(r);
			ipc_put_u64(r->rb, e);
		} else if (!w->collapse || seen_add(&seen_thread,
		    (uint64_t)sqlite3_column_int64(st, 2))) {
			if (ids_add(&page, e) < 0)
				oom = true;
		}
	}
	search_fn_use_memo(NULL);
	if (rc != SQLITE_DONE) {
		/* an FTS5 syntax the tokenizer could not take is the
		 * request's fault, not a store failure */
		rc = req_fail(r, IPC_ERR_MALFORMED, "search failed: %s",
		    sqlite3_errmsg(r->d->db));
	} else if (oom) {
		rc = req_fail(r, IPC_ERR_INTERNAL, "out of memory");
	} else if (w != NULL) {
		rc = send_window(r, w, &page, high);
	} else {
		req_end(r);
		ipc_put_u64(r->rb, high);
		rc = 0;
	}
	free(page.v);
	sqlite3_finalize(st);
	buf_free(&sql);
	return rc;
}

/* ---- one mailbox, in slices (slice.h) ------------------------------------------------- */

/* The scan visits the mailbox in UID order, a slice at a time, and keeps
 * the UIDs that match; then they are listed (in UID order, or by the
 * sort, over the matches only). Each row is a step of its own, so a slice
 * can stop after any message. */
struct search_slice {
	struct slice k;
	char *scan_sql, *sort_sql;     /* sort_sql NULL: UID order */
	struct param *params;
	int nparams;
	uint64_t mbox;
	uint32_t last;                 /* the last UID scanned */
	bool scanned;
	struct store_uids found;
	uint64_t high;                 /* highest modseq of the matches */
	uint64_t text;                 /* text scanned so far */
	struct idmap memo;             /* (message, key) -> matched */
};

static void
search_free(struct slice *k)
{
	struct search_slice *q = (struct search_slice *)k;
	free(q->scan_sql);
	free(q->sort_sql);
	for (int i = 0; i < q->nparams; i++)
		free(q->params[i].p);
	free(q->params);
	store_uids_free(&q->found);
	idmap_free(&q->memo);
	free(q);
}

static int
scan_slice(struct search_slice *q, struct udb *d, struct buf *out)
{
	sqlite3_stmt *st;
	if (prepare(d, q->scan_sql, &st) < 0)
		return slice_fail(&q->k, IPC_ERR_MALFORMED, "search too large");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)q->mbox);
	bind_params(st, q->params, q->nparams);
	sqlite3_bind_int64(st, q->nparams + 2, q->last);
	int rc;
	bool over = false;
	while (!over && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		q->last = (uint32_t)sqlite3_column_int64(st, 0);
		if (sqlite3_column_int(st, 2) != 0) {
			uint64_t ms = (uint64_t)sqlite3_column_int64(st, 1);
			if (ms > q->high)
				q->high = ms;
			if (store_uids_add(&q->found, q->last, q->last) < 0) {
				sqlite3_finalize(st);
				return slice_fail(&q->k, IPC_ERR_INTERNAL,
				    "out of memory");
			}
		}
		over = slice_over(&q->k, out);
	}
	if (!over && rc != SQLITE_DONE) {
		/* an FTS5 syntax the tokenizer could not take is the
		 * request's fault, not a store failure */
		rc = slice_fail(&q->k, IPC_ERR_MALFORMED, "search failed: %s",
		    sqlite3_errmsg(d->db));
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	q->scanned = !over;
	return 0;
}

/* The matches, by the sort: one statement over them alone. */
static int
list_sorted(struct search_slice *q, struct udb *d, struct buf *out)
{
	struct buf packed = BUF_INIT(UINT32_MAX);
	for (size_t i = 0; i < q->found.n; i++) {
		buf_put_u32(&packed, q->found.r[i].lo);
		buf_put_u32(&packed, q->found.r[i].hi);
	}
	sqlite3_stmt *st;
	if (packed.failed || prepare(d, q->sort_sql, &st) < 0) {
		buf_free(&packed);
		return slice_fail(&q->k, IPC_ERR_MALFORMED, "search too large");
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)q->mbox);
	sqlite3_bind_blob(st, 2, packed.data ? packed.data : (const uint8_t *)"",
	    (int)packed.len, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ipc_put_u32(out, 1);
		ipc_put_u32(out, (uint32_t)sqlite3_column_int64(st, 0));
	}
	if (rc != SQLITE_DONE)
		rc = slice_fail(&q->k, -db_fail(d, "search sort"), "search failed");
	else
		rc = 0;
	sqlite3_finalize(st);
	buf_free(&packed);
	return rc;
}

static int
search_step(struct slice *k, struct buf *out)
{
	struct search_slice *q = (struct search_slice *)k;
	if (k->u->deleted)
		return slice_fail(k, IPC_ERR_NOTFOUND, "the user was deleted");
	struct udb *d = user_db(k->u);
	if (d == NULL)
		return slice_fail(k, IPC_ERR_INTERNAL, "cannot open the database");
	search_fn_use_memo(&q->memo);
	int rc = scan_slice(q, d, out);
	search_fn_use_memo(NULL);
	/* the text budget is the whole request's, across its slices */
	q->text += budget_text_taken();
	if (rc == 0 && budget_limits.search_text != 0 &&
	    q->text > budget_limits.search_text)
		budget_exceed("text searched");
	if (rc < 0 || !q->scanned)
		return rc < 0 ? rc : 1;
	if (q->sort_sql != NULL) {
		if ((rc = list_sorted(q, d, out)) < 0)
			return rc;
	} else {
		for (size_t i = 0; i < q->found.n; i++)
			for (uint64_t u = q->found.r[i].lo; u <= q->found.r[i].hi;
			    u++) {
				ipc_put_u32(out, 1);
				ipc_put_u32(out, (uint32_t)u);
			}
	}
	ipc_put_u32(out, 0);
	ipc_put_u64(out, q->high);
	return 0;
}

static char *
dup_sql(struct buf *b)
{
	const char *t = buf_cstr(b);
	return t != NULL ? strdup(t) : NULL;
}

static int
search_mailbox(struct req *r, struct compile *cp, uint64_t mbox,
    const char *where, const char *order, bool order_blob, bool order_hdr)
{
	struct search_slice *q = calloc(1, sizeof(*q));
	if (q == NULL)
		return req_fail(r, IPC_ERR_INTERNAL, "out of memory");
	struct buf sql = BUF_INIT(SQL_MAX * 2);
	/* CASE WHEN: a condition, so AND and OR stop early (as a value,
	 * SQLite evaluates both sides: the text scans of every row) */
	buf_printf(&sql, "SELECT m.uid, m.modseq, CASE WHEN (%s) THEN 1 ELSE 0"
	    " END FROM msgs m%s%s WHERE"
	    " m.mailbox=?1 AND m.uid > ?%d ORDER BY m.uid", where,
	    cp->blob ? " JOIN blob b ON b.id=m.blob" : "",
	    cp->hdr ? " JOIN blobhdr h ON h.id=m.blob" : "", cp->nparams + 2);
	q->scan_sql = dup_sql(&sql);
	if (order[0] != '\0' && strcmp(order, " ORDER BY m.uid") != 0) {
		buf_reset(&sql);
		buf_printf(&sql, "SELECT m.uid FROM msgs m%s%s WHERE m.mailbox=?1"
		    " AND uidin(m.uid, ?2)%s",
		    order_blob ? " JOIN blob b ON b.id=m.blob" : "",
		    order_hdr ? " JOIN blobhdr h ON h.id=m.blob" : "", order);
		if ((q->sort_sql = dup_sql(&sql)) == NULL) {
			free(q->scan_sql);
			q->scan_sql = NULL;
		}
	}
	buf_free(&sql);
	q->k.step = search_step;
	q->k.free = search_free;
	q->mbox = mbox;
	/* the parameters (needles) are the slice's from here on */
	q->params = malloc(sizeof(*q->params) * (size_t)(cp->nparams + 1));
	if (q->scan_sql == NULL || q->params == NULL) {
		search_free(&q->k);
		return req_fail(r, IPC_ERR_MALFORMED, "search too large");
	}
	memcpy(q->params, cp->params, sizeof(*q->params) * (size_t)cp->nparams);
	q->nparams = cp->nparams;
	cp->nparams = 0;
	return req_first_slice(r, &q->k);
}

/* The request's program and sort keys; then search every mailbox (id 0)
 * or one, w as for search_by_email. */
static int
search_request(struct req *r, uint64_t id, const uint8_t *prog, size_t plen,
    const uint32_t *sort, uint32_t nsort, const struct email_window *w)
{
	static struct compile cp;
	struct mbox mb;
	int rc;
	/* mailbox 0: every mailbox of the user, one entry per email (JMAP
	 * Email/query) */
	bool by_email = id == 0;
	mb.id = 0;
	if (!by_email && (rc = mailbox_ref(r, id, NULL, 0, &mb)) < 0)
		return rc;

	memset(&cp, 0, sizeof(cp));
	cp.d = r->d;
	struct buf order = BUF_INIT(4096);
	bool oblob = false, ohdr = false;
	if (compile(&cp, prog, plen) < 0)
		rc = req_fail(r, IPC_ERR_MALFORMED, "%s", cp.err);
	else if (order_by(&cp, &order, sort, nsort, &oblob, &ohdr) < 0 ||
	    buf_cstr(&order) == NULL)
		rc = req_fail(r, IPC_ERR_MALFORMED, "unknown sort key");
	else if (by_email)
		rc = search_by_email(r, &cp, buf_cstr(&cp.stack[0]),
		    buf_cstr(&order), w);
	else
		rc = search_mailbox(r, &cp, (uint64_t)mb.id,
		    buf_cstr(&cp.stack[0]), nsort > 0 ? buf_cstr(&order) : "",
		    oblob, ohdr);
	buf_free(&order);
	compile_free(&cp);
	return rc;
}

static int
get_sort(struct req *r, uint32_t *sort, uint32_t *nsort)
{
	if (ipc_get_u32(&r->c, nsort) < 0)
		*nsort = 0;
	if (*nsort > MAX_SORT)
		return req_fail(r, IPC_ERR_LIMIT, "too many sort keys");
	for (uint32_t i = 0; i < *nsort; i++)
		ipc_get_u32(&r->c, &sort[i]);
	return 0;
}

int
h_search(struct req *r)
{
	uint64_t id;
	const uint8_t *prog;
	size_t plen;
	uint32_t nsort = 0, sort[MAX_SORT];
	ipc_get_u64(&r->c, &id);
	ipc_get_bytes(&r->c, &prog, &plen, IPC_MAX_PAYLOAD);
	int rc = get_sort(r, sort, &nsort);
	if (rc < 0 || (rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0)
		return rc;
	return search_request(r, id, prog, plen, sort, nsort, NULL);
}

/* JMAP Email/query over every mailbox: the page and the total only. */
int
h_email_query(struct req *r)
{
	const uint8_t *prog;
	size_t plen;
	uint32_t nsort = 0, sort[MAX_SORT], collapse = 0;
	uint64_t position, offset;
	struct email_window w = { 0 };
	ipc_get_bytes(&r->c, &prog, &plen, IPC_MAX_PAYLOAD);
	int rc = get_sort(r, sort, &nsort);
	if (rc < 0)
		return rc;
	ipc_get_u64(&r->c, &position);
	ipc_get_u64(&r->c, &w.anchor);
	ipc_get_u64(&r->c, &offset);
	ipc_get_u64(&r->c, &w.limit);
	ipc_get_u32(&r->c, &collapse);
	if ((rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0)
		return rc;
	w.position = (int64_t)position;
	w.anchor_offset = (int64_t)offset;
	w.collapse = collapse != 0;
	return search_request(r, 0, prog, plen, sort, nsort, &w);
}
