/* Unit tests for the migration sources' parsers (ctl/import_maildir_parse.h,
 * ctl/import_mbox_parse.h): Dovecot's uidlist v1 and v3 and its keywords
 * and subscriptions files, the ":2," info, and mbox splitting, quoting,
 * state headers and From_ dates, including the cases a sloppy parser gets
 * wrong (a From line inside a paragraph, CRLF, a header folded under a
 * state header, a name with a colon in its extension field). */
#include "check.h"
#include "import_maildir_parse.h"
#include "import_mbox_parse.h"
#include "store_proto.h"

#include <string.h>

struct rec {
	uint32_t uid[8];
	char base[8][64];
	int n;
};

static void
record(void *arg, uint32_t uid, const char *base, size_t n)
{
	struct rec *r = arg;
	if (r->n < 8 && n < 64) {
		r->uid[r->n] = uid;
		memcpy(r->base[r->n], base, n);
		r->base[r->n][n] = '\0';
		r->n++;
	}
}

static void
test_uidlist(void)
{
	struct rec r = { 0 };
	struct md_uidlist u = { .record = record, .arg = &r };
	const char *v3 = "3 V1500000001 N40 G0123\n"
	    "3 W63 S60 :1700000003.M1P1.mx,S=60\n"
	    "7 :1700000007.M2P1.mx\n"
	    "junk line\n"
	    "0 :zero-uid\n"
	    "9 :has/slash\n"
	    "12 :1700000012.M3P1.mx:2,S";
	CHECK_EQ(md_uidlist_parse(v3, strlen(v3), &u), 0);
	CHECK_EQ(u.uidvalidity, 1500000001);
	CHECK_EQ(u.nextuid, 40);
	CHECK_EQ(r.n, 3);
	CHECK_EQ(r.uid[0], 3);
	CHECK(strcmp(r.base[0], "1700000003.M1P1.mx,S=60") == 0);
	CHECK(strcmp(r.base[2], "1700000012.M3P1.mx") == 0);
	struct rec r1 = { 0 };
	u.arg = &r1;
	const char *v1 = "1 1500000002 5\n4 1700000004.M1P1.mx:2,RS\n";
	CHECK_EQ(md_uidlist_parse(v1, strlen(v1), &u), 0);
	CHECK_EQ(u.uidvalidity, 1500000002);
	CHECK_EQ(r1.n, 1);
	CHECK(strcmp(r1.base[0], "1700000004.M1P1.mx") == 0);
	CHECK_EQ(md_uidlist_parse("2 V1 N2\n", 8, &u), -1);
	CHECK_EQ(md_uidlist_parse("3 N2\n", 5, &u), -1);  /* no UIDVALIDITY */
	CHECK_EQ(md_uidlist_parse("3 V99999999999 N2\n", 18, &u), -1);
}

static void
test_keywords_info_use(void)
{
	static char kw[MD_KEYWORDS][MD_KEYWORD_MAX + 1];
	const char *k = "0 $Forwarded\n1 Work\n25 Last\n26 TooFar\n2 bad(name\n";
	md_keywords_parse(k, strlen(k), kw);
	CHECK(strcmp(kw[0], "$Forwarded") == 0 && strcmp(kw[1], "Work") == 0);
	CHECK(strcmp(kw[25], "Last") == 0 && kw[2][0] == '\0');
	uint32_t f, m;
	md_info_flags("1700.M1P1.mx,S=60:2,DFRSTaz", &f, &m);
	CHECK_EQ(f, STORE_FLAG_DRAFT | STORE_FLAG_FLAGGED | STORE_FLAG_ANSWERED |
	    STORE_FLAG_SEEN | STORE_FLAG_DELETED);
	CHECK_EQ(m, 1u | (1u << 25));
	md_info_flags("1700.M1P1.mx,S=60", &f, &m);
	CHECK_EQ(f, 0);
	CHECK_EQ(md_special_use("sent"), STORE_USE_SENT);
	CHECK_EQ(md_special_use("Spam"), STORE_USE_JUNK);
	CHECK_EQ(md_special_use("Sentinel"), 0);
	CHECK(md_keyword_ok("$Forwarded", 10) && md_keyword_ok("a", 1));
	CHECK(!md_keyword_ok("bad)kw", 6) && !md_keyword_ok("\\Seen", 5));
	CHECK(!md_keyword_ok("sp ace", 6) && !md_keyword_ok("", 0));
	CHECK(!md_keyword_ok("caf\xc3\xa9", 5));
}

static char subs[4][64];
static int nsubs;

static void
sub(void *arg, const char *name, size_t len)
{
	(void)arg;
	if (nsubs < 4 && len < 64)
		memcpy(subs[nsubs++], name, len + 1);
}

static void
test_subscriptions(void)
{
	const char *v2 = "V\t2\n\nSent\nArchive\tCaf&AOk-\n";
	md_subscriptions_parse(v2, strlen(v2), sub, NULL);
	CHECK_EQ(nsubs, 2);
	CHECK(strcmp(subs[1], "Archive/Caf&AOk-") == 0);
	nsubs = 0;
	md_subscriptions_parse("Lists.Work\n", 11, sub, NULL);
	CHECK(nsubs == 1 && strcmp(subs[0], "Lists/Work") == 0);
}

static void
test_mbox(void)
{
	const char *box =
	    "junk before\n"
	    "From a@x Tue Nov 14 10:00:00 2023\n"
	    "Subject: one\nStatus: RO\nX-Status: AT\n continued\n"
	    "X-Keywords: Work,\r$L1\n\n"
	    "body\nFrom inside a paragraph\n>From quoted\n>>From twice\n\n"
	    "From b@x Wed Nov 15 11:30:00 2023\r\n"
	    "Subject: two\r\nX-UID: 7\r\nX-IMAPbase: 1234 9\r\n\r\nbye\r\n\r\n";
	size_t pos = 0, n = strlen(box);
	struct mbox_raw raw;
	static struct mbox_msg m = { .out = BUF_INIT(1 << 20) };
	CHECK(mbox_next(box, n, &pos, &raw));
	CHECK_EQ(mbox_from_date(raw.from, raw.fromlen), 1699956000);
	CHECK_EQ(mbox_clean(&raw, &m), 0);
	const char *want = "Subject: one\n\nbody\nFrom inside a paragraph\n"
	    "From quoted\n>From twice\n";
	CHECK(m.out.len == strlen(want) && memcmp(m.out.data, want, m.out.len) == 0);
	CHECK_EQ(m.flags, STORE_FLAG_SEEN | STORE_FLAG_ANSWERED | STORE_FLAG_DRAFT);
	CHECK(m.nkw == 2 && strcmp(m.kw[0], "Work") == 0 &&
	    strcmp(m.kw[1], "$L1") == 0);
	CHECK(mbox_next(box, n, &pos, &raw));
	CHECK_EQ(mbox_from_date(raw.from, raw.fromlen), 1700047800);
	CHECK_EQ(mbox_clean(&raw, &m), 0);
	CHECK(m.out.len == 21 && memcmp(m.out.data,
	    "Subject: two\r\n\r\nbye\r\n", 21) == 0);
	CHECK(m.uid == 7 && m.uidvalidity == 1234 && m.uidnext == 9 && !m.pseudo);
	CHECK(!mbox_next(box, n, &pos, &raw));
	CHECK_EQ(mbox_from_date("nobody", 6), 0);
	buf_free(&m.out);
}

int
main(void)
{
	test_uidlist();
	test_keywords_info_use();
	test_subscriptions();
	test_mbox();
	return check_done("import_parse");
}
