/* search_thread: keyword conditions over a message and its thread (see
 * search_thread.h). A thread condition is one uncorrelated subquery:
 * SQLite computes the set of threads once per statement, so a search of
 * any size costs one pass over the messages, not one per message. */
#include "search_thread.h"
#include "store_proto.h"

/* The row alias has the flag or keyword; never when no message of the
 * user has the keyword (it has no bit yet): a column, since ORDER BY
 * takes a bare integer for a column number. */
static int
has_sql(struct udb *d, const char *alias, uint32_t flag, const uint8_t *kw,
    uint32_t n, struct buf *out)
{
	if (flag != 0) {
		if ((flag & ~STORE_FLAGS_ALL) != 0 || n != 0)
			return -1;
		return buf_printf(out, "((%s.flags & %u) = %u)", alias,
		    (unsigned)flag, (unsigned)flag);
	}
	if (n == 0 || n > STORE_KEYWORD_MAX)
		return -1;
	int bit = db_keyword_bit(d, (const char *)kw, n, false);
	if (bit < 0)
		return buf_printf(out, "((%s.kw & 0) != 0)", alias);
	/* hex: the top bit is a negative 64-bit integer, not a real */
	return buf_printf(out, "((%s.kw & 0x%llx) != 0)", alias,
	    (unsigned long long)(1ull << bit));
}

int
search_kw_sql(struct udb *d, enum kw_scope scope, uint32_t flag,
    const uint8_t *kw, uint32_t n, struct buf *out)
{
	if (scope == KW_MESSAGE)
		return has_sql(d, "m", flag, kw, n, out) < 0 || out->failed ?
		    -1 : 0;
	/* all: no message of the thread lacks it */
	buf_printf(out, "(b.thread %sIN (SELECT b2.thread FROM msgs m2 JOIN"
	    " blob b2 ON b2.id=m2.blob WHERE %s", scope == KW_THREAD_ALL ?
	    "NOT " : "", scope == KW_THREAD_ALL ? "NOT " : "");
	if (has_sql(d, "m2", flag, kw, n, out) < 0)
		return -1;
	buf_append_str(out, "))");
	return out->failed ? -1 : 0;
}
