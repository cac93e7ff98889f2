/* Unit tests for snmpd-helper's statistics path: records are validated and
 * published a period at a time (snap), the OID view is sorted and answers
 * GET/GETNEXT (mibview), and the exposition carries the same figures
 * (metrics). */
#include "check.h"
#include "figures.h"
#include "metrics.h"
#include "mibview.h"
#include "snap.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static struct stats_aggregate
rec(uint16_t index, const char *name)
{
	struct stats_aggregate a;
	memset(&a, 0, sizeof(a));
	a.magic = STATS_MAGIC;
	a.size = sizeof(a);
	a.service_index = index;
	if (name)
		memcpy(a.name, name, strlen(name));
	return a;
}

static enum snap_result
feed(struct snap_reader *r, struct stats_aggregate a, struct snap *out)
{
	return snap_feed(r, &a, sizeof(a), out);
}

static void
test_snap(void)
{
	struct snap_reader r;
	struct snap s;
	memset(&s, 0, sizeof(s));
	snap_reader_init(&r);

	struct stats_aggregate imap = rec(1, "imapd");
	imap.counter[ST_AUTH_OK] = 7;
	imap.processes = 3;
	imap.max_processes = 100;
	struct stats_aggregate lmtp = rec(0, "lmtpd");
	lmtp.counter[ST_DELIVERIES] = 5;
	struct stats_aggregate store = rec(2, "stored");
	store.gauge[SG_USERS] = 2;
	store.gauge[SG_MESSAGES] = 9;
	store.counter[ST_STORE_OPS] = 40;
	struct stats_aggregate g = rec(STATS_GLOBAL, "");
	g.uptime_s = 77;
	g.generation = 2;

	CHECK_EQ(feed(&r, imap, &s), SNAP_PENDING);
	CHECK_EQ(feed(&r, lmtp, &s), SNAP_PENDING);
	CHECK_EQ(feed(&r, store, &s), SNAP_PENDING);
	CHECK(!s.valid);
	CHECK_EQ(feed(&r, g, &s), SNAP_PUBLISHED);
	CHECK(s.valid);
	CHECK_EQ(s.nservices, 3);
	CHECK(strcmp(s.svc[0].name, "lmtpd") == 0);      /* sorted by index */
	CHECK(strcmp(s.svc[1].name, "imapd") == 0);
	CHECK_EQ(snap_row_index(&s.svc[1]), 2);
	CHECK_EQ(s.uptime_s, 77);
	CHECK_EQ(s.store_users, 2);
	CHECK_EQ(s.store_messages, 9);
	CHECK_EQ(s.store_deliveries, 5);
	CHECK_EQ(s.store_operations, 40);

	/* the next period holds only what was sent in it */
	CHECK_EQ(feed(&r, imap, &s), SNAP_PENDING);
	CHECK_EQ(s.nservices, 3);                        /* old one still served */
	CHECK_EQ(feed(&r, g, &s), SNAP_PUBLISHED);
	CHECK_EQ(s.nservices, 1);

	/* refused records */
	struct stats_aggregate bad = imap;
	bad.magic ^= 1;
	CHECK_EQ(feed(&r, bad, &s), SNAP_DROPPED);
	bad = imap;
	bad.size = 12;
	CHECK_EQ(feed(&r, bad, &s), SNAP_DROPPED);
	bad = rec(SNAP_MAX_SERVICES, "x");
	CHECK_EQ(feed(&r, bad, &s), SNAP_DROPPED);
	bad = rec(3, "");
	CHECK_EQ(feed(&r, bad, &s), SNAP_DROPPED);
	bad = rec(3, "a b");
	CHECK_EQ(feed(&r, bad, &s), SNAP_DROPPED);
	bad = rec(3, "quote\"");
	CHECK_EQ(feed(&r, bad, &s), SNAP_DROPPED);
	bad = rec(3, "x");
	memset(bad.name, 'a', sizeof(bad.name));         /* no terminator */
	CHECK_EQ(feed(&r, bad, &s), SNAP_DROPPED);
	bad = rec(3, "x");
	bad.name[5] = 'y';                               /* junk after NUL */
	CHECK_EQ(feed(&r, bad, &s), SNAP_DROPPED);
	CHECK_EQ(snap_feed(&r, &imap, sizeof(imap) - 1, &s), SNAP_DROPPED);
	CHECK_EQ(r.dropped, 9);

	/* two indexes with one name: the second is dropped at publish */
	CHECK_EQ(feed(&r, rec(4, "dup"), &s), SNAP_PENDING);
	CHECK_EQ(feed(&r, rec(5, "dup"), &s), SNAP_PENDING);
	CHECK_EQ(feed(&r, g, &s), SNAP_PUBLISHED);
	CHECK_EQ(s.nservices, 1);
	CHECK_EQ(s.dropped, 10);
}

static void
test_oid_parse(void)
{
	uint32_t a[MIB_BASE_MAX];
	size_t n;
	CHECK_EQ(mib_parse_oid("1.3.6.1.4.1.99999", a, MIB_BASE_MAX, &n), 0);
	CHECK_EQ(n, 7);
	CHECK_EQ(a[6], 99999);
	CHECK_EQ(mib_parse_oid("1.3.6.1.4.1.4294967295", a, MIB_BASE_MAX, &n), 0);
	CHECK_EQ(mib_parse_oid("1.3.6.1.4.1.4294967296", a, MIB_BASE_MAX, &n), -1);
	CHECK_EQ(mib_parse_oid(".1.3.6", a, MIB_BASE_MAX, &n), -1);
	CHECK_EQ(mib_parse_oid("1.3.", a, MIB_BASE_MAX, &n), -1);
	CHECK_EQ(mib_parse_oid("1..3", a, MIB_BASE_MAX, &n), -1);
	CHECK_EQ(mib_parse_oid("1", a, MIB_BASE_MAX, &n), -1);
	CHECK_EQ(mib_parse_oid("1.03", a, MIB_BASE_MAX, &n), -1);
	CHECK_EQ(mib_parse_oid("1.3.x", a, MIB_BASE_MAX, &n), -1);
	CHECK_EQ(mib_parse_oid("1.2.3.4", a, 3, &n), -1);
	CHECK_EQ(mib_parse_oid("", a, MIB_BASE_MAX, &n), -1);
}

static struct snap
sample(void)
{
	struct snap_reader r;
	struct snap s;
	memset(&s, 0, sizeof(s));
	snap_reader_init(&r);
	struct stats_aggregate imap = rec(0, "imapd");
	imap.counter[ST_AUTH_OK] = 11;
	imap.counter[ST_AUTH_FAIL] = 2;
	imap.counter[ST_BYTES_OUT] = (uint64_t)1 << 40;  /* > 32 bits */
	imap.processes = 4;
	imap.max_processes = 50;
	imap.exits_error = 6;
	struct stats_aggregate lmtp = rec(2, "lmtpd");
	lmtp.counter[ST_DELIVERIES] = 13;
	struct stats_aggregate g = rec(STATS_GLOBAL, "");
	g.uptime_s = 99;
	feed(&r, imap, &s);
	feed(&r, lmtp, &s);
	feed(&r, g, &s);
	return s;
}

static struct mibview v;

static void
test_view(void)
{
	uint32_t base[] = { 1, 3, 6, 1, 4, 1, 99999 };
	struct snap s = sample();
	mibview_init(&v, base, 7);
	mibview_build(&v, &s);
	CHECK_EQ(v.n, fig_nscalars + fig_ncolumns * 2);
	for (size_t i = 1; i < v.n; i++)
		CHECK(mib_oid_cmp(v.e[i - 1].oid, v.e[i - 1].len, v.e[i].oid,
		    v.e[i].len) < 0);

	/* GET: cloisterServiceLoginsOk.1 (imapd is index 0 -> row 1) */
	uint32_t ok[] = { 1, 3, 6, 1, 4, 1, 99999, 1, 2, 1, 6, 1 };
	const struct mib_entry *e = mibview_get(&v, ok, 12);
	CHECK(e != NULL && e->kind == FIG_COUNTER && e->value == 11);
	/* row 3 is lmtpd; row 2 does not exist */
	uint32_t del[] = { 1, 3, 6, 1, 4, 1, 99999, 1, 2, 1, 18, 3 };
	e = mibview_get(&v, del, 12);
	CHECK(e != NULL && e->value == 13);
	del[11] = 2;
	CHECK(mibview_get(&v, del, 12) == NULL);
	CHECK(mibview_is_object(&v, del, 12));            /* noSuchInstance */
	uint32_t col99[] = { 1, 3, 6, 1, 4, 1, 99999, 1, 2, 1, 99, 1 };
	CHECK(!mibview_is_object(&v, col99, 12));         /* noSuchObject */
	uint32_t up1[] = { 1, 3, 6, 1, 4, 1, 99999, 1, 1, 2, 1 };
	CHECK(mibview_is_object(&v, up1, 11));
	CHECK(!mibview_is_object(&v, up1, 10));           /* the object itself */
	/* GETNEXT from the row that does not exist lands on row 3 */
	e = mibview_next(&v, del, 12);
	CHECK(e != NULL && e->oid[11] == 3 && e->value == 13);
	/* GETNEXT from the base: cloisterVersion.0 */
	e = mibview_next(&v, base, 7);
	CHECK(e != NULL && e->kind == FIG_STRING && e->len == 11 &&
	    strcmp(e->str, fig_version()) == 0);
	/* GETNEXT from before the base and from the last entry */
	uint32_t before[] = { 1, 3, 6, 1, 4, 1, 99998, 7 };
	CHECK(mibview_next(&v, before, 8) == &v.e[0]);
	CHECK(mibview_next(&v, v.e[v.n - 1].oid, v.e[v.n - 1].len) == NULL);
	uint32_t after[] = { 1, 3, 6, 1, 4, 1, 100000 };
	CHECK(mibview_next(&v, after, 7) == NULL);
	/* names column */
	uint32_t name[] = { 1, 3, 6, 1, 4, 1, 99999, 1, 2, 1, 2, 3 };
	e = mibview_get(&v, name, 12);
	CHECK(e != NULL && e->strlen == 5 && memcmp(e->str, "lmtpd", 5) == 0);
	/* before the first period: nothing */
	struct snap empty;
	memset(&empty, 0, sizeof(empty));
	mibview_build(&v, &empty);
	CHECK_EQ(v.n, 0);
	CHECK(mibview_next(&v, base, 7) == NULL);
}

static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static void
test_metrics(void)
{
	struct snap s = sample();
	struct buf b = BUF_INIT(METRICS_MAX_BYTES);
	CHECK_EQ(metrics_render(&s, &b), 0);
	const char *t = buf_cstr(&b);
	CHECK(has_line(t, "cloister_up 1"));
	CHECK(has_line(t, "cloister_uptime_seconds 99"));
	CHECK(has_line(t, "# TYPE cloister_logins_total counter"));
	CHECK(has_line(t, "cloister_logins_total{service=\"imapd\",result=\"ok\"} 11"));
	CHECK(has_line(t, "cloister_logins_total{service=\"imapd\",result=\"failed\"} 2"));
	CHECK(has_line(t, "cloister_sent_bytes_total{service=\"imapd\"} 1099511627776"));
	CHECK(has_line(t, "cloister_processes{service=\"imapd\"} 4"));
	CHECK(has_line(t, "cloister_max_processes{service=\"imapd\"} 50"));
	CHECK(has_line(t, "cloister_exits_total{service=\"imapd\",status=\"error\"} 6"));
	CHECK(has_line(t, "cloister_deliveries_total{service=\"lmtpd\"} 13"));
	/* one HELP and one TYPE per family, never repeated */
	const char *h = strstr(t, "# HELP cloister_logins_total");
	CHECK(h != NULL && strstr(h + 1, "# HELP cloister_logins_total") == NULL);
	/* every sample line belongs to a family declared above it */
	size_t samples = 0;
	for (const char *p = t; *p; ) {
		const char *nl = strchr(p, '\n');
		CHECK(nl != NULL);
		if (nl == NULL)
			break;
		if (*p != '#') {
			samples++;
			char fam[96];
			size_t k = strcspn(p, "{ ");
			CHECK(k < sizeof(fam));
			memcpy(fam, p, k);
			fam[k] = '\0';
			char decl[128];
			snprintf(decl, sizeof(decl), "# TYPE %s ", fam);
			const char *d = strstr(t, decl);
			CHECK(d != NULL && d < p);
		}
		p = nl + 1;
	}
	CHECK(samples >= 2 * (fig_ncolumns - 1));
	buf_free(&b);

	/* no period yet: only the helper's own two series */
	struct snap empty;
	memset(&empty, 0, sizeof(empty));
	struct buf e = BUF_INIT(METRICS_MAX_BYTES);
	CHECK_EQ(metrics_render(&empty, &e), 0);
	CHECK(has_line(buf_cstr(&e), "cloister_up 0"));
	CHECK(strstr(buf_cstr(&e), "cloister_logins_total") == NULL);
	buf_free(&e);

	/* a buffer too small fails instead of truncating */
	struct buf small = BUF_INIT(256);
	CHECK_EQ(metrics_render(&s, &small), -1);
	buf_free(&small);
}

int
main(void)
{
	test_snap();
	test_oid_parse();
	test_view();
	test_metrics();
	return check_done("snmpd_stats");
}
