/* Unit tests for workers/shared/mime_index: dates, RFC 5256 base subjects,
 * indexed fields, and the search text (decoding, charsets, HTML, caps). */
#include "check.h"
#include "charset.h"
#include "mime.h"
#include "mime_index.h"

#include <stdlib.h>
#include <string.h>

static int64_t
date(const char *s, int32_t *tz)
{
	int64_t t;
	int32_t z;
	if (mime_date_parse((const uint8_t *)s, strlen(s), &t, &z) < 0)
		return MIME_DATE_NONE;
	if (tz)
		*tz = z;
	return t;
}

static void
test_dates(void)
{
	int32_t tz;
	CHECK_EQ(date("Thu, 01 Jan 1970 00:00:00 +0000", NULL), 0);
	CHECK_EQ(date("Tue, 2 Jan 2024 10:59:59 +0100", &tz), 1704189599);
	CHECK_EQ(tz, 60);
	CHECK_EQ(date("2 Jan 2024 10:59:59 +0100 (CET)", NULL), 1704189599);
	CHECK_EQ(date("Tue,  2 Jan 24 09:59 GMT", NULL), 1704189540);
	CHECK_EQ(date("02 Jan 2024 04:59:59 EST", &tz), 1704189599);
	CHECK_EQ(tz, -300);
	CHECK_EQ(date("29 Feb 2000 12:00:00 -0000", NULL), 951825600);
	CHECK_EQ(date("1 Jan 99 00:00:00 +0000", NULL), 915148800);
	CHECK_EQ(date("31 Dec 2099 23:59:60 +0000", NULL), 4102444800);
	CHECK_EQ(date("Wed, 12 Feb 1997 16:29:51 -0500", NULL), 855782991);
	CHECK_EQ(date("", NULL), MIME_DATE_NONE);
	CHECK_EQ(date("yesterday", NULL), MIME_DATE_NONE);
	CHECK_EQ(date("32 Jan 2024 00:00 +0000", NULL), MIME_DATE_NONE);
	CHECK_EQ(date("1 Foo 2024 00:00 +0000", NULL), MIME_DATE_NONE);
	CHECK_EQ(date("1 Jan 2024 25:00 +0000", NULL), MIME_DATE_NONE);
	CHECK_EQ(date("1 Jan 2024 10:00 +01", NULL), MIME_DATE_NONE);
}

static bool
base_is(const char *in, const char *want)
{
	struct buf b = BUF_INIT(1024);
	mime_base_subject(&b, (const uint8_t *)in, strlen(in));
	bool ok = b.len == strlen(want) && memcmp(b.data, want, b.len) == 0;
	if (!ok)
		fprintf(stderr, "  base(%s) = [%.*s] want [%s]\n", in,
		    (int)b.len, (const char *)b.data, want);
	buf_free(&b);
	return ok;
}

static void
test_base_subject(void)
{
	CHECK(base_is("Hello", "Hello"));
	CHECK(base_is("Re: Hello", "Hello"));
	CHECK(base_is("RE: re: Fwd: Hello", "Hello"));
	CHECK(base_is("Re[2]: Hello", "Hello"));
	CHECK(base_is("[list] Re: Hello", "Hello"));
	CHECK(base_is("[list] Hello", "Hello"));
	CHECK(base_is("[list]", "[list]"));       /* blob alone stays */
	CHECK(base_is("Hello (fwd)", "Hello"));
	CHECK(base_is("Hello (FWD) (fwd)  ", "Hello"));
	CHECK(base_is("[Fwd: Re: Hello]", "Hello"));
	CHECK(base_is("Re:   Hello \t world", "Hello world"));
	CHECK(base_is("Fw: [x] Re: [y] Hello", "Hello"));
	CHECK(base_is("Reply: Hello", "Reply: Hello"));
	CHECK(base_is("", ""));
	CHECK(base_is("Re:", ""));
}

static const char msg[] =
    "From: =?utf-8?q?J=C3=BCrgen?= <JM@Example.DE>, second@example.org\r\n"
    "To: Team: a@x.org, \"B\" <b@x.org>;\r\n"
    "Cc: c@x.org\r\n"
    "Subject: =?utf-8?B?UmU6IFvDnGJlcl0gR3LDvMOfZQ==?=\r\n"
    "Date: Sat, 6 Jan 2024 10:00:00 +0100\r\n"
    "Message-ID: <mid@x.org> <second@x.org>\r\n"
    "In-Reply-To: Your message of <irt@x.org>\r\n"
    "References: <r1@x.org>\r\n <r2@x.org>\r\n"
    "References: <r3@x.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Gr=FC=DFe aus K=F6ln, soft=\r\n"
    "break.\r\n"
    "--b\r\n"
    "Content-Type: text/html\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "PGh0bWw+PHN0eWxlPi54e308L3N0eWxlPjxwPkhUTUwgJmFtcDsgd29yZHM8YnI+bmV4dDwv\r\n"
    "cD48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+JiMyMzY7PC9odG1sPg==\r\n"
    "--b\r\n"
    "Content-Type: application/pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQ=\r\n"
    "--b\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: enclosed words\r\n"
    "\r\n"
    "enclosed body\r\n"
    "--b--\r\n";

static bool
field_is(const struct mime_index *ix, enum mime_ifield f, const char *want)
{
	struct mime_str s = mime_index_get(ix, f);
	bool ok = want == NULL ? s.p == NULL :
	    (s.p != NULL && s.len == strlen(want) && memcmp(s.p, want, s.len) == 0);
	if (!ok)
		fprintf(stderr, "  field %d = [%.*s] want [%s]\n", f, (int)s.len,
		    s.p ? s.p : "(null)", want ? want : "(null)");
	return ok;
}

static void
test_fields(void)
{
	struct mime_msg m;
	struct mime_index ix;
	CHECK_EQ(mime_parse(&m, msg, sizeof(msg) - 1, NULL), 0);
	CHECK_EQ(mime_index_build(&ix, &m, 4096), 0);
	CHECK(field_is(&ix, MIME_F_FROM,
	    "J\xc3\xbcrgen <JM@Example.DE>, second@example.org"));
	CHECK(field_is(&ix, MIME_F_TO, "Team: a@x.org, \"B\" <b@x.org>;"));
	CHECK(field_is(&ix, MIME_F_CC, "c@x.org"));
	CHECK(field_is(&ix, MIME_F_BCC, NULL));
	CHECK(field_is(&ix, MIME_F_SUBJECT, "Re: [\xc3\x9c" "ber] Gr\xc3\xbc\xc3\x9f" "e"));
	CHECK(field_is(&ix, MIME_F_BASE_SUBJECT, "Gr\xc3\xbc\xc3\x9f" "e"));
	CHECK(field_is(&ix, MIME_F_MESSAGE_ID, "<mid@x.org>"));
	CHECK(field_is(&ix, MIME_F_IN_REPLY_TO, "<irt@x.org>"));
	CHECK(field_is(&ix, MIME_F_REFERENCES, "<r1@x.org> <r2@x.org> <r3@x.org>"));
	CHECK(field_is(&ix, MIME_F_SORT_FROM, "JM"));
	/* "Team: a@x.org, ...;": the group's start is the first address
	 * (RFC 5256, as Dovecot sorts; imaptest sort-addresses) */
	CHECK(field_is(&ix, MIME_F_SORT_TO, "Team"));
	CHECK(field_is(&ix, MIME_F_DISPLAY_FROM, "J\xc3\xbcrgen"));
	CHECK(field_is(&ix, MIME_F_DISPLAY_TO, "Team"));
	CHECK_EQ(ix.date, 1704531600);
	CHECK_EQ(ix.date_tz, 60);
	CHECK_EQ(ix.hdr_len, m.parts[0].body);
	mime_index_free(&ix);

	/* a small cap cuts values at a character boundary */
	CHECK_EQ(mime_index_build(&ix, &m, 2), 0);
	CHECK(field_is(&ix, MIME_F_FROM, "J"));   /* not half of the u-umlaut */
	mime_index_free(&ix);

	struct buf t = BUF_INIT(1 << 16);
	CHECK_EQ(mime_text_extract(&m, &t, 1 << 16), 0);
	buf_append_byte(&t, 0);
	const char *txt = (const char *)t.data;
	CHECK(strstr(txt, "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln, softbreak.") != NULL);
	CHECK(strstr(txt, "HTML & words\nnext") != NULL);
	CHECK(strstr(txt, "alert") == NULL);      /* script content dropped */
	CHECK(strstr(txt, ".x{}") == NULL);       /* style content dropped */
	CHECK(strstr(txt, "\xc3\xac") != NULL);   /* &#236; */
	CHECK(strstr(txt, "PDF") == NULL);        /* not a text part */
	CHECK(strstr(txt, "Subject: enclosed words") != NULL);
	CHECK(strstr(txt, "enclosed body") != NULL);
	buf_free(&t);

	/* the cap holds, at a character boundary */
	struct buf c = BUF_INIT(1 << 16);
	CHECK_EQ(mime_text_extract(&m, &c, 3), 0);
	CHECK(c.len == 2 && memcmp(c.data, "Gr", 2) == 0);
	buf_free(&c);

	struct buf h = BUF_INIT(1 << 16);
	CHECK_EQ(mime_header_text(&m, 0, &h, 1 << 16), 0);
	buf_append_byte(&h, 0);
	CHECK(strstr((const char *)h.data, "Subject: Re: [\xc3\x9c" "ber]") != NULL);
	buf_free(&h);
	mime_free(&m);
}

/* a broken address list is searched as written, not as the parser's
 * MISSING_* fill-ins; its sort key is the first address that parsed */
static void
test_broken_addresses(void)
{
	const char *bad = "To: \"unterminated <u@x.org>\r\n"
	    "Cc: a@b@c, <d@e.org> words\r\n\r\n";
	struct mime_msg m;
	struct mime_index ix;
	CHECK_EQ(mime_parse(&m, bad, strlen(bad), NULL), 0);
	CHECK_EQ(mime_index_build(&ix, &m, 4096), 0);
	CHECK(field_is(&ix, MIME_F_TO, "\"unterminated <u@x.org>"));
	CHECK(field_is(&ix, MIME_F_CC, "a@b@c, <d@e.org> words"));
	CHECK(field_is(&ix, MIME_F_SORT_TO, ""));
	CHECK(field_is(&ix, MIME_F_SORT_CC, "a"));
	mime_index_free(&ix);
	mime_free(&m);
}

/* comments inside an addr-spec hide it from a substring search: the
 * parsed mailbox@domain is added (SEARCH FROM searches the envelope) */
static void
test_commented_address(void)
{
	/* a bare word is a name alone: DISPLAY shows it, SORT skips it */
	const char *w = "From: d\r\nTo: d, e@f.org\r\n\r\n";
	struct mime_msg wm;
	struct mime_index wix;
	CHECK_EQ(mime_parse(&wm, w, strlen(w), NULL), 0);
	CHECK_EQ(mime_index_build(&wix, &wm, 4096), 0);
	CHECK(field_is(&wix, MIME_F_DISPLAY_FROM, "d"));
	CHECK(field_is(&wix, MIME_F_SORT_FROM, ""));
	CHECK(field_is(&wix, MIME_F_DISPLAY_TO, "e@f.org"));
	CHECK(field_is(&wix, MIME_F_SORT_TO, "e"));
	mime_index_free(&wix);
	mime_free(&wm);

	const char *h = "From: <user-from (comment)@ (comment) domain.org>\r\n"
	    "To: Real <user-to@domain.org>, x (c)@y.org\r\n\r\n";
	struct mime_msg m;
	struct mime_index ix;
	CHECK_EQ(mime_parse(&m, h, strlen(h), NULL), 0);
	CHECK_EQ(mime_index_build(&ix, &m, 4096), 0);
	CHECK(field_is(&ix, MIME_F_FROM, "<user-from (comment)@ (comment) "
	    "domain.org>, user-from@domain.org"));
	CHECK(field_is(&ix, MIME_F_TO,
	    "Real <user-to@domain.org>, x (c)@y.org, x@y.org"));
	mime_index_free(&ix);
	mime_free(&m);
}

static void
test_no_headers(void)
{
	struct mime_msg m;
	struct mime_index ix;
	CHECK_EQ(mime_parse(&m, "\r\nbody only", 11, NULL), 0);
	CHECK_EQ(mime_index_build(&ix, &m, 1024), 0);
	for (int f = 0; f < MIME_F_COUNT; f++)
		CHECK(mime_index_get(&ix, (enum mime_ifield)f).p == NULL);
	CHECK_EQ(ix.date, MIME_DATE_NONE);
	mime_index_free(&ix);
	mime_free(&m);
}

/* megabytes of header: fields stay within their cap */
static void
test_huge_header(void)
{
	size_t n = 4 << 20;
	char *s = malloc(n + 64);
	memcpy(s, "Subject: ", 9);
	memset(s + 9, 'x', n - 9);
	memcpy(s + n, "\r\n\r\nbody", 8);
	struct mime_msg m;
	struct mime_index ix;
	CHECK_EQ(mime_parse(&m, s, n + 8, NULL), 0);
	CHECK_EQ(mime_index_build(&ix, &m, 65536), 0);
	CHECK_EQ(mime_index_get(&ix, MIME_F_SUBJECT).len, 65536);
	CHECK(ix.strings.len <= 65536 * MIME_F_COUNT);
	mime_index_free(&ix);
	mime_free(&m);
	free(s);
}

int
main(void)
{
	charset_preload(NULL);
	charset_seal();
	test_dates();
	test_base_subject();
	test_fields();
	test_broken_addresses();
	test_commented_address();
	test_no_headers();
	test_huge_header();
	return check_done("mime_index");
}
