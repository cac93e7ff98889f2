/* search_fn: the SQL functions and collation compiled searches use (see
 * search_fn.h): UID sets, header and text matching in linear time with each
 * message's text scanned once per request, i;ascii-casemap. */
#include "search_fn.h"
#include "budget.h"
#include "idmap.h"
#include "store_proto.h"
#include "textmatch.h"

#include <stdlib.h>
#include <string.h>

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
static struct idmap *memo;

void
search_fn_use_memo(struct idmap *m)
{
	memo = m;
}

_Static_assert(2 + 2 * STORE_SEARCH_MAX_KEYS < 2048, "memo key numbers");

static uint64_t
memo_k(sqlite3_value **argv)
{
	/* blob ids are rowids (< 2^52 in practice); key numbers are SQL
	 * parameter numbers, at most 2 + 2 x STORE_SEARCH_MAX_KEYS < 2048 */
	return ((uint64_t)sqlite3_value_int64(argv[0]) << 11 |
	    ((uint64_t)sqlite3_value_int64(argv[1]) & 2047)) + 1;
}

/* textseen(blob, key): the memo's answer, or NULL when not yet known. */
static void
fn_textseen(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	uint8_t v;
	if (memo != NULL && idmap_get(memo, memo_k(argv), &v))
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
	if (memo != NULL)
		(void)idmap_put(memo, memo_k(argv), (uint8_t)v);
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

