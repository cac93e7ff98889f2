/* Unit tests for workers/shared: transfer decoders, RFC 2047 words and the
 * charset layer (preloaded converters, the sealed fallback). */
#include "check.h"
#include "charset.h"
#include "mime_decode.h"
#include "rfc2047.h"

#include <string.h>

static bool
is(struct buf *b, const char *want, size_t wlen)
{
	bool ok = b->len == wlen && memcmp(b->data, want, wlen) == 0;
	if (!ok)
		fprintf(stderr, "  got [%.*s] want [%.*s]\n", (int)b->len,
		    (const char *)b->data, (int)wlen, want);
	buf_reset(b);
	return ok;
}
#define IS(b, lit) is(b, lit, sizeof(lit) - 1)

static void
test_base64(void)
{
	struct buf b = BUF_INIT(1024);
	mime_base64_decode(&b, (const uint8_t *)"aGVsbG8gd29ybGQ=", 16);
	CHECK(IS(&b, "hello world"));
	mime_base64_decode(&b, (const uint8_t *)"aGVs\r\nbG8g\r\nd29y bGQ", 20);
	CHECK(IS(&b, "hello world"));
	mime_base64_decode(&b, (const uint8_t *)"aGk=trailing", 12);
	CHECK(IS(&b, "hi"));
	mime_base64_decode(&b, (const uint8_t *)"!!##", 4);   /* all junk */
	CHECK(IS(&b, ""));
	mime_base64_decode(&b, (const uint8_t *)"AAEC/w==", 8);
	CHECK(IS(&b, "\x00\x01\x02\xff"));
	buf_free(&b);
}

static void
test_qp(void)
{
	struct buf b = BUF_INIT(1024);
	const char *q = "caf=C3=A9 soft=\r\nbreak  \r\nhard=3D=\nlf =XY =4";
	mime_qp_decode(&b, (const uint8_t *)q, strlen(q));
	CHECK(IS(&b, "caf\xc3\xa9 softbreak\r\nhard=lf =XY =4"));
	mime_q_decode(&b, (const uint8_t *)"a_b=5Fc=3", 9);
	CHECK(IS(&b, "a b_c=3"));
	CHECK_EQ(mime_cte_parse((const uint8_t *)" Base64 ", 8), MIME_CTE_BASE64);
	CHECK_EQ(mime_cte_parse((const uint8_t *)"QUOTED-PRINTABLE", 16),
	    MIME_CTE_QP);
	CHECK_EQ(mime_cte_parse((const uint8_t *)"x-uuencode", 10),
	    MIME_CTE_UNKNOWN);
	CHECK_EQ(mime_cte_parse((const uint8_t *)"base64 junk", 11),
	    MIME_CTE_7BIT);   /* void: as if absent, like Dovecot */
	CHECK_EQ(mime_cte_parse((const uint8_t *)"", 0), MIME_CTE_7BIT);
	CHECK_EQ(mime_cte_decode(&b, MIME_CTE_UNKNOWN, (const uint8_t *)"x", 1),
	    -1);
	/* a full buffer fails without writing */
	struct buf small = BUF_INIT(2);
	CHECK_EQ(mime_base64_decode(&small, (const uint8_t *)"aGVsbG8=", 8), -1);
	CHECK_EQ(small.len, 0);
	buf_free(&small);
	buf_free(&b);
}

static void
test_2047(void)
{
	struct buf b = BUF_INIT(1024);
#define DEC(s) rfc2047_decode(&b, (const uint8_t *)(s), strlen(s))
	DEC("=?ISO-8859-1?Q?Andr=E9?= Pirard");
	CHECK(IS(&b, "Andr\xc3\xa9 Pirard"));
	DEC("=?utf-8?q?a?= =?utf-8?q?b?=");   /* blanks between words go */
	CHECK(IS(&b, "ab"));
	DEC("=?utf-8?q?a?=\r\n =?utf-8?q?_b?=");
	CHECK(IS(&b, "a b"));
	DEC("=?utf-8?q?a?= x =?utf-8?q?b?=");
	CHECK(IS(&b, "a x b"));
	/* a UTF-8 character split across two B words */
	DEC("=?UTF-8?B?w7w=?= =?UTF-8?B?w7w=?=");
	CHECK(IS(&b, "\xc3\xbc\xc3\xbc"));
	DEC("=?UTF-8?B?w6==?=");   /* half a character: Latin-1 fallback */
	CHECK(b.len > 0);
	buf_reset(&b);
	DEC("=?utf-8*en?q?lang?=");   /* RFC 2231 language suffix */
	CHECK(IS(&b, "lang"));
	DEC("=?bogus-charset?q?x=E9?=");
	CHECK(IS(&b, "x\xc3\xa9"));
	DEC("not =?encoded");
	CHECK(IS(&b, "not =?encoded"));
	DEC("=?utf-8?x?bad encoding?=");
	CHECK(IS(&b, "=?utf-8?x?bad encoding?="));
	DEC("raw 8-bit \xe9t\xe9 and \xc3\xa9t\xc3\xa9");
	CHECK(IS(&b, "raw 8-bit \xc3\xa9t\xc3\xa9 and \xc3\xa9t\xc3\xa9"));
	DEC("=?koi8-r?B?8MXU0s/X?=");
	CHECK(IS(&b, "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2"));
#undef DEC
	buf_free(&b);
}

static void
test_charset(void)
{
	struct buf b = BUF_INIT(1024);
	CHECK_EQ(charset_preload(NULL), 13);   /* the multi-byte ones */
	charset_seal();
	/* single-byte charsets are built-in tables, every alias of them */
	charset_to_utf8(&b, "Latin2", 6, (const uint8_t *)"\xa3\xf3" "d\xbc", 4);
	CHECK(IS(&b, "\xc5\x81\xc3\xb3" "d\xc5\xba"));
	charset_to_utf8(&b, "cp1252", 6, (const uint8_t *)"\x81", 1);
	CHECK(IS(&b, "\xc2\x81"));   /* undefined there: read as Latin-1 */
	charset_to_utf8(&b, "KOI8-R", 6, (const uint8_t *)"\xf0\xd2", 2);
	CHECK(IS(&b, "\xd0\x9f\xd1\x80"));
	/* aliases of multi-byte charsets share the preloaded converter */
	charset_to_utf8(&b, "x-gbk", 5, (const uint8_t *)"\xc4\xe3\xba\xc3", 4);
	CHECK(IS(&b, "\xe4\xbd\xa0\xe5\xa5\xbd"));
	charset_to_utf8(&b, "GB2312", 6, (const uint8_t *)"\xc4\xe3", 2);
	CHECK(IS(&b, "\xe4\xbd\xa0"));
	charset_to_utf8(&b, "Big5", 4, (const uint8_t *)"\xa4\xa4", 2);
	CHECK(IS(&b, "\xe4\xb8\xad"));
	charset_to_utf8(&b, "windows-1252", 12, (const uint8_t *)"\x80 5", 3);
	CHECK(IS(&b, "\xe2\x82\xac 5"));
	charset_to_utf8(&b, "ISO_8859-15", 11, (const uint8_t *)"\xa4", 1);
	CHECK(IS(&b, "\xe2\x82\xac"));
	charset_to_utf8(&b, "latin1", 6, (const uint8_t *)"\xe9", 1);
	CHECK(IS(&b, "\xc3\xa9"));
	charset_to_utf8(&b, "us-ascii", 8, (const uint8_t *)"\xc3\xa9", 2);
	CHECK(IS(&b, "\xc3\xa9"));   /* mislabelled UTF-8 kept */
	/* sealed: an unknown or unloaded charset reads as Latin-1 */
	CHECK(!charset_known("x-unknown", 9));
	charset_to_utf8(&b, "x-unknown", 9, (const uint8_t *)"\xe9", 1);
	CHECK(IS(&b, "\xc3\xa9"));
	CHECK(!charset_known("../../etc/passwd", 16));
	CHECK(charset_known("KOI8-R", 6));
	/* invalid sequences in a known charset: Latin-1 reading, go on */
	charset_to_utf8(&b, "utf-8", 5, (const uint8_t *)"a\xff" "b", 3);
	CHECK(IS(&b, "a\xc3\xbf" "b"));
	charset_to_utf8(&b, "shift_jis", 9, (const uint8_t *)"\x82\xa0\xff", 3);
	CHECK(b.len >= 3 && memcmp(b.data, "\xe3\x81\x82", 3) == 0);
	buf_reset(&b);
	charset_to_utf8(&b, "utf-16le", 8, (const uint8_t *)"h\0i\0", 4);
	CHECK(IS(&b, "hi"));
	CHECK_EQ(charset_utf8_len((const uint8_t *)"\xed\xa0\x80", 3), 0);
	CHECK_EQ(charset_utf8_len((const uint8_t *)"\xc0\x80", 2), 0);
	CHECK_EQ(charset_utf8_len((const uint8_t *)"\xf0\x9f\x98\x80", 4), 4);
	buf_free(&b);
}

int
main(void)
{
	test_base64();
	test_qp();
	test_charset();   /* preloads and seals for the rest */
	test_2047();
	return check_done("mime_decode");
}
