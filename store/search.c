/* search: program decoding, compilation to SQL, sorting (see search.h). */
#include "search.h"
#include "textmatch.h"
#include "budget.h"
#include "buf.h"
#include "chan.h"
#include "db.h"
#include "handlers.h"
#include "idmap.h"
#include "ipc.h"
#include "log.h"
#include "mailbox.h"
#include "store_client.h"
#include "user.h"
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#define SQL_MAX (256 * 1024)
#define STR_MAX 1024
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
};

/* ---- SQL functions -------------------------------------------------------------- */

/* uidin(uid, packed): packed holds sorted, merged big-endian (lo, hi) u32
 * pairs (a normalized UID set). */
static void
fn_uidin(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	int64_t uid = sqlite3_value_int64(argv[0]);
	const uint8_t *p = sqlite3_value_blob(argv[1]);
	size_t n = (size_t)sqlite3_value_bytes(argv[1]) / 8;
	size_t lo = 0, hi = n;
	while (p != NULL && lo < hi) {
		size_t mid = (lo + hi) / 2;
		const uint8_t *q = p + mid * 8;
		uint32_t a = ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) |
		    ((uint32_t)q[2] << 8) | q[3];
		uint32_t b = ((uint32_t)q[4] << 24) | ((uint32_t)q[5] << 16) |
		    ((uint32_t)q[6] << 8) | q[7];
		if (uid < a)
			hi = mid;
		else if (uid > b)
			lo = mid + 1;
		else {
			sqlite3_result_int(ctx, 1);
			return;
		}
	}
	sqlite3_result_int(ctx, 0);
}

static int
lc(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/* ---- the work budget of one search ---------------------------------------------- */

/* Text the substring keys scan is charged to the request's budget
 * (budget.h): past it the statement fails and the request gets LIMIT. */
static bool
charge_text(sqlite3_context *ctx, size_t n)
{
	if (budget_take_text(n))
		return true;
	sqlite3_result_error(ctx, "search budget exhausted", -1);
	return false;
}

/* The matcher of a constant needle argument, built once per statement:
 * SQLite keeps auxiliary data as long as the argument does not change. */
static void
matcher_free(void *p)
{
	textmatch_free(p);
	free(p);
}

static struct textmatch *
matcher(sqlite3_context *ctx, int arg, const uint8_t *nd, size_t nn)
{
	struct textmatch *tm = sqlite3_get_auxdata(ctx, arg);
	if (tm != NULL)
		return tm;
	tm = malloc(sizeof(*tm));
	if (tm == NULL || textmatch_init(tm, nd, nn) < 0) {
		free(tm);
		sqlite3_result_error_nomem(ctx);
		return NULL;
	}
	sqlite3_set_auxdata(ctx, arg, tm, matcher_free);
	/* set_auxdata may free it at once (out of memory) */
	tm = sqlite3_get_auxdata(ctx, arg);
	if (tm == NULL)
		sqlite3_result_error_nomem(ctx);
	return tm;
}

/* ---- per-message memo: a text is scanned once per key, not once per row ---------- */

/* COPY makes many rows of one message; a join visits each. The memo keys
 * (blob id, key number) to the answer for the rest of the request. */
static struct idmap memo;

static uint64_t
memo_k(sqlite3_value **argv)
{
	/* blob ids are rowids (< 2^53 in practice); key numbers < 1024 */
	return ((uint64_t)sqlite3_value_int64(argv[0]) << 10 |
	    ((uint64_t)sqlite3_value_int64(argv[1]) & 1023)) + 1;
}

/* textseen(blob, key): the memo's answer, or NULL when not yet known. */
static void
fn_textseen(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	uint8_t v;
	if (idmap_get(&memo, memo_k(argv), &v))
		sqlite3_result_int(ctx, v);
	else
		sqlite3_result_null(ctx);
}

/* textnote(blob, key, v): remember v for (blob, key) and return it. */
static void
fn_textnote(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	int v = sqlite3_value_int(argv[2]) != 0;
	(void)idmap_put(&memo, memo_k(argv), (uint8_t)v);
	sqlite3_result_int(ctx, v);
}

/* hdrmatch(headers, name, value): the worker's header block is one field
 * per line, "lower-case-name: value\n"; true if a line for name contains
 * value. A scan of a format the worker produced, not a header parser. */
static void
fn_hdrmatch(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const uint8_t *h = sqlite3_value_blob(argv[0]);
	size_t hn = (size_t)sqlite3_value_bytes(argv[0]);
	const uint8_t *name = sqlite3_value_text(argv[1]);
	size_t nn = (size_t)sqlite3_value_bytes(argv[1]);
	const uint8_t *val = sqlite3_value_text(argv[2]);
	size_t vn = (size_t)sqlite3_value_bytes(argv[2]);
	int found = 0;
	struct textmatch *tm = matcher(ctx, 2, val, vn);
	if (tm == NULL || !charge_text(ctx, hn))
		return;
	for (size_t pos = 0; h != NULL && name != NULL && pos < hn && !found;) {
		const uint8_t *nl = memchr(h + pos, '\n', hn - pos);
		size_t end = nl ? (size_t)(nl - h) : hn;
		size_t ln = end - pos;
		if (ln > nn && h[pos + nn] == ':') {
			size_t j = 0;
			while (j < nn && lc(h[pos + j]) == lc(name[j]))
				j++;
			if (j == nn && textmatch_find(tm, h + pos + nn + 1,
			    ln - nn - 1))
				found = 1;
		}
		pos = end + 1;
	}
	sqlite3_result_int(ctx, found);
}

/* textin(text, needle): needle (already lower case) occurs in text, ASCII
 * case folded — the substring match RFC 3501 asks of SEARCH BODY and
 * TEXT, which a word index cannot give ("sdfghjk" in "asdfghjkl"). */
static void
fn_textin(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const uint8_t *h = sqlite3_value_blob(argv[0]);
	size_t hn = (size_t)sqlite3_value_bytes(argv[0]);
	const uint8_t *nd = sqlite3_value_blob(argv[1]);
	size_t nn = (size_t)sqlite3_value_bytes(argv[1]);
	struct textmatch *tm = matcher(ctx, 1, nd, nn);
	if (tm == NULL || !charge_text(ctx, hn))
		return;
	/* textmatch takes NULL text (and nd is NULL only when nn is 0) */
	sqlite3_result_int(ctx, textmatch_find(tm, h, hn));
}

/* i;ascii-casemap (RFC 4790), the comparator RFC 5256 names for SORT:
 * octets compared after folding a-z to A-Z — upper case, so that "[",
 * "\\", "]", "^", "_" and "`" sort after the letters (SQLite's NOCASE folds
 * to lower case and puts them before). */
static int
coll_ascii_casemap(void *arg, int na, const void *pa, int nb, const void *pb)
{
	(void)arg;
	const uint8_t *a = pa, *b = pb;
	int n = na < nb ? na : nb;
	for (int i = 0; i < n; i++) {
		uint8_t x = a[i] >= 'a' && a[i] <= 'z' ? a[i] - 32 : a[i];
		uint8_t y = b[i] >= 'a' && b[i] <= 'z' ? b[i] - 32 : b[i];
		if (x != y)
			return x < y ? -1 : 1;
	}
	return na < nb ? -1 : na > nb;
}

int
search_register(sqlite3 *db)
{
	int f = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY;
	if (sqlite3_create_function_v2(db, "uidin", 2, f, NULL, fn_uidin, NULL,
	    NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(db, "hdrmatch", 3, f, NULL, fn_hdrmatch,
	    NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(db, "textin", 2, f, NULL, fn_textin,
	    NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(db, "textseen", 2, SQLITE_UTF8 |
	    SQLITE_DIRECTONLY, NULL, fn_textseen, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(db, "textnote", 3, SQLITE_UTF8 |
	    SQLITE_DIRECTONLY, NULL, fn_textnote, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_collation_v2(db, "ASCII_CASEMAP", SQLITE_UTF8, NULL,
	    coll_ascii_casemap, NULL) != SQLITE_OK)
		return -1;
	return 0;
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
	static struct uidset set;
	static struct buf packed = BUF_INIT(WIRE_MAX_RANGES * 8);
	uint32_t n;
	struct buf *b;
	int k;
	uidset_clear(&set);
	if (get_u32(cp, &n) < 0)
		return -1;
	if (n > WIRE_MAX_RANGES)
		return cfail(cp, "UID set too large");
	for (uint32_t i = 0; i < n; i++) {
		uint32_t lo, hi;
		if (get_u32(cp, &lo) < 0 || get_u32(cp, &hi) < 0)
			return -1;
		if (uidset_add(&set, lo, hi) < 0)
			return cfail(cp, "bad UID range");
	}
	buf_reset(&packed);
	for (size_t i = 0; i < set.n; i++) {
		buf_put_u32(&packed, set.r[i].lo);
		buf_put_u32(&packed, set.r[i].hi);
	}
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

static struct idmap seen;

/* true if e was not in the set (and is now; a duplicate rather than a
 * loss when out of memory) */
static bool
seen_add(uint64_t e)
{
	uint8_t v;
	if (idmap_get(&seen, e, &v))
		return false;
	(void)idmap_put(&seen, e, 1);
	return true;
}

/* ---- sorting ------------------------------------------------------------------------ */

static int
order_by(struct buf *sql, const uint32_t *keys, uint32_t n, bool *blob,
    bool *hdr)
{
	static const char *const cols[] = {
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
	buf_append_str(sql, " ORDER BY ");
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = keys[i] & ~STORE_SORT_REVERSE;
		if ((keys[i] & ~(STORE_SORT_REVERSE | 0xffu)) != 0 ||
		    k < STORE_SORT_ARRIVAL || k > STORE_SORT_UID)
			return -1;
		if (strstr(cols[k], "b.") != NULL)
			*blob = true;
		if (strstr(cols[k], "h.") != NULL)
			*hdr = true;
		buf_printf(sql, "%s%s, ", cols[k],
		    (keys[i] & STORE_SORT_REVERSE) ? " DESC" : "");
	}
	buf_append_str(sql, "m.uid");
	return 0;
}

int
h_search(struct req *r)
{
	static struct compile cp;
	uint64_t id;
	const uint8_t *prog;
	size_t plen;
	uint32_t nsort = 0, sort[MAX_SORT];
	struct mbox mb;
	ipc_get_u64(&r->c, &id);
	ipc_get_bytes(&r->c, &prog, &plen, IPC_MAX_PAYLOAD);
	if (ipc_get_u32(&r->c, &nsort) < 0)
		nsort = 0;
	if (nsort > MAX_SORT)
		return req_fail(r, IPC_ERR_LIMIT, "too many sort keys");
	for (uint32_t i = 0; i < nsort; i++)
		ipc_get_u32(&r->c, &sort[i]);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	/* mailbox 0: every mailbox of the user, one entry per email (JMAP
	 * Email/query) */
	bool by_email = id == 0;
	mb.id = 0;
	if (!by_email && (rc = mailbox_ref(r, id, NULL, 0, &mb)) < 0)
		return rc;

	memset(&cp, 0, sizeof(cp));
	cp.d = r->d;
	struct buf sql = BUF_INIT(SQL_MAX * 2);
	if (compile(&cp, prog, plen) < 0) {
		rc = req_fail(r, IPC_ERR_MALFORMED, "%s", cp.err);
		goto out;
	}
	bool blob = cp.blob, hdr = cp.hdr;
	struct buf order = BUF_INIT(4096);
	if (order_by(&order, sort, nsort, &blob, &hdr) < 0) {
		buf_free(&order);
		rc = req_fail(r, IPC_ERR_MALFORMED, "unknown sort key");
		goto out;
	}
	if (by_email)
		blob = true;
	buf_printf(&sql, "SELECT %s, m.modseq FROM msgs m%s%s WHERE"
	    " %s AND %s", by_email ? "b.emailid" : "m.uid",
	    blob ? " JOIN blob b ON b.id=m.blob" : "",
	    hdr ? " JOIN blobhdr h ON h.id=m.blob" : "",
	    by_email ? "?1 = 0" : "m.mailbox=?1", buf_cstr(&cp.stack[0]));
	buf_append(&sql, order.data, order.len);
	buf_free(&order);
	sqlite3_stmt *st = NULL;
	const char *text = buf_cstr(&sql);
	if (text == NULL || sqlite3_prepare_v3(r->d->db, text, -1, 0, &st,
	    NULL) != SQLITE_OK) {
		rc = req_fail(r, IPC_ERR_MALFORMED, "search too large");
		if (text != NULL)
			log_warn("user %s: search: %s", r->d->u->name,
			    sqlite3_errmsg(r->d->db));
		goto out;
	}
	sqlite3_bind_int64(st, 1, mb.id);
	for (int i = 0; i < cp.nparams; i++) {
		struct param *q = &cp.params[i];
		if (q->kind == P_INT)
			sqlite3_bind_int64(st, i + 2, q->v);
		else if (q->kind == P_TEXT)
			sqlite3_bind_text(st, i + 2, (const char *)q->p, (int)q->n,
			    SQLITE_STATIC);
		else
			sqlite3_bind_blob(st, i + 2, q->p, (int)q->n, SQLITE_STATIC);
	}
	req_reply_stream(r);
	uint64_t high = 0;
	idmap_reset(&seen);
	idmap_reset(&memo);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t ms = (uint64_t)sqlite3_column_int64(st, 1);
		if (ms > high)
			high = ms;
		if (by_email) {
			/* an email in several mailboxes: once, where the sort
			 * meets it first */
			uint64_t e = (uint64_t)sqlite3_column_int64(st, 0);
			if (!seen_add(e))
				continue;
			req_item(r);
			ipc_put_u64(r->rb, e);
		} else {
			req_item(r);
			ipc_put_u32(r->rb, (uint32_t)sqlite3_column_int64(st, 0));
		}
	}
	if (rc != SQLITE_DONE) {
		/* an FTS5 syntax the tokenizer could not take is the
		 * request's fault, not a store failure */
		rc = req_fail(r, IPC_ERR_MALFORMED, "search failed: %s",
		    sqlite3_errmsg(r->d->db));
	} else {
		req_end(r);
		ipc_put_u64(r->rb, high);
		rc = 0;
	}
	sqlite3_finalize(st);
out:
	buf_free(&sql);
	compile_free(&cp);
	return rc;
}
