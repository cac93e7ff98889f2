/* imap_fmt: shared response pieces (see imap_fmt.h). */
#include "imap_fmt.h"

#include <stdbool.h>
#include "imap_args.h"

static const struct {
	uint32_t store, imap;
	const char *name;
} sysflags[] = {
	{ STORE_FLAG_SEEN, IMAP_F_SEEN, "\\Seen" },
	{ STORE_FLAG_ANSWERED, IMAP_F_ANSWERED, "\\Answered" },
	{ STORE_FLAG_FLAGGED, IMAP_F_FLAGGED, "\\Flagged" },
	{ STORE_FLAG_DELETED, IMAP_F_DELETED, "\\Deleted" },
	{ STORE_FLAG_DRAFT, IMAP_F_DRAFT, "\\Draft" },
	/* the session's, never the store's: imap 0, so never stored */
	{ IMAP_FMT_RECENT, 0, "\\Recent" },
};

void
imap_fmt_u64(struct buf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	buf_append(b, tmp + i, sizeof(tmp) - i);
}

void
imap_fmt_flags(struct buf *b, uint32_t flags, uint64_t keywords,
    const struct imap_keywords *kw)
{
	buf_append_byte(b, '(');
	bool sp = false;
	for (size_t i = 0; i < sizeof(sysflags) / sizeof(sysflags[0]); i++) {
		if (flags & sysflags[i].store) {
			if (sp)
				buf_append_byte(b, ' ');
			buf_append_str(b, sysflags[i].name);
			sp = true;
		}
	}
	for (size_t i = 0; kw != NULL && keywords != 0 && i < kw->n && i < 64;
	    i++) {
		if (keywords & ((uint64_t)1 << i)) {
			if (sp)
				buf_append_byte(b, ' ');
			buf_append_str(b, kw->names[i]);
			sp = true;
		}
	}
	buf_append_byte(b, ')');
}

uint32_t
imap_fmt_flags_to_store(uint32_t imap_sys)
{
	uint32_t r = 0;
	for (size_t i = 0; i < sizeof(sysflags) / sizeof(sysflags[0]); i++)
		if (imap_sys & sysflags[i].imap)
			r |= sysflags[i].store;
	return r;
}

void
imap_fmt_internaldate(struct buf *b, uint64_t t, int32_t tzoff)
{
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	if (tzoff < -1439 || tzoff > 1439)
		tzoff = 0;
	time_t local = (time_t)((int64_t)t + (int64_t)tzoff * 60);
	struct tm tm;
	gmtime_r(&local, &tm);
	int z = tzoff < 0 ? -tzoff : tzoff;
	buf_printf(b, "\"%2d-%s-%04d %02d:%02d:%02d %c%02d%02d\"", tm.tm_mday,
	    mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, tzoff < 0 ? '-' : '+', z / 60, z % 60);
}

void
imap_fmt_uids(struct buf *b, const struct store_uids *u)
{
	for (size_t i = 0; i < u->n; i++) {
		if (i > 0)
			buf_append_byte(b, ',');
		if (u->r[i].lo == u->r[i].hi)
			buf_printf(b, "%u", u->r[i].lo);
		else
			buf_printf(b, "%u:%u", u->r[i].lo, u->r[i].hi);
	}
}
