/* Unit tests for imapd's small codecs: modified UTF-7 mailbox names,
 * base64 of SASL exchanges, and the quoted-or-literal choice of the
 * response writer. */
#include "check.h"
#include "base64.h"
#include "imap_mutf7.h"
#include "imap_out.h"

#include <string.h>

static bool
is(const struct buf *b, const char *want)
{
	return b->len == strlen(want) && memcmp(b->data, want, b->len) == 0;
}

static void
test_mutf7(void)
{
	static const struct {
		const char *utf8, *mutf7;
	} pairs[] = {
		{ "INBOX", "INBOX" },
		{ "A&B", "A&-B" },
		{ "Entwürfe", "Entw&APw-rfe" },
		{ "日本語", "&ZeVnLIqe-" },
		{ "~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
		{ "😀", "&2D3eAA-" },                  /* a surrogate pair */
		{ "a\x7f" "b", "a&AH8-b" },             /* DEL is not printable */
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct buf b = BUF_INIT(1024);
		CHECK(imap_mutf7_encode(pairs[i].utf8, strlen(pairs[i].utf8),
		    &b) == 0);
		CHECK(is(&b, pairs[i].mutf7));
		buf_reset(&b);
		CHECK(imap_mutf7_decode(pairs[i].mutf7, strlen(pairs[i].mutf7),
		    &b) == 0);
		CHECK(is(&b, pairs[i].utf8));
		buf_free(&b);
	}
	static const char *const bad[] = {
		"&",            /* unterminated */
		"&-x&",
		"&Jjo",         /* no "-" */
		"&AGE-",        /* a shifted printable ("a") */
		"&2D0-",        /* a lone high surrogate */
		"&3gA-",        /* a lone low surrogate */
		"&AAA-",        /* NUL */
		"&&-",          /* "&" inside base64 */
		"\xc3\xa9",     /* 8-bit */
		"&AH8A-",       /* non-zero padding bits */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b = BUF_INIT(1024);
		CHECK(imap_mutf7_decode(bad[i], strlen(bad[i]), &b) < 0);
		buf_free(&b);
	}
	struct buf b = BUF_INIT(64);
	CHECK(imap_mutf7_encode("\xff", 1, &b) < 0);       /* not UTF-8 */
	CHECK(imap_mutf7_encode("\xed\xa0\x80", 3, &b) < 0); /* a surrogate */
	buf_free(&b);
	CHECK(imap_utf8_valid("Größe", strlen("Größe")));
	CHECK(!imap_utf8_valid("\xc0\xaf", 2));               /* overlong */
	CHECK(!imap_utf8_valid("a\0b", 3));
}

static void
test_base64(void)
{
	struct buf b = BUF_INIT(256);
	CHECK(base64_encode("\0alice\0wonderland", 17, &b) == 0);
	CHECK(is(&b, "AGFsaWNlAHdvbmRlcmxhbmQ="));
	uint8_t out[64];
	size_t n;
	CHECK(base64_decode((const char *)b.data, b.len, out, sizeof(out),
	    &n) == 0);
	CHECK(n == 17 && memcmp(out, "\0alice\0wonderland", 17) == 0);
	CHECK(base64_decode("", 0, out, sizeof(out), &n) == 0 && n == 0);
	CHECK(base64_decode("YQ==", 4, out, sizeof(out), &n) == 0 && n == 1);
	CHECK(base64_decode("YQ=", 3, out, sizeof(out), &n) < 0);
	CHECK(base64_decode("YR==", 4, out, sizeof(out), &n) < 0);
	CHECK(base64_decode("Y===", 4, out, sizeof(out), &n) < 0);
	CHECK(base64_decode("YQ==YQ==", 8, out, sizeof(out), &n) < 0);
	CHECK(base64_decode("Y Q=", 4, out, sizeof(out), &n) < 0);
	CHECK(base64_decode("AAAA", 4, out, 2, &n) < 0);   /* no room */
	buf_free(&b);
}

static void
test_out(void)
{
	struct buf b = BUF_INIT(4096);
	CHECK(imap_out_string(&b, "hello", 5, false) == 0 && is(&b, "\"hello\""));
	buf_reset(&b);
	CHECK(imap_out_string(&b, "a\"b\\c", 5, false) == 0 &&
	    is(&b, "\"a\\\"b\\\\c\""));
	buf_reset(&b);
	CHECK(imap_out_string(&b, "a\r\nb", 4, false) == 0 &&
	    is(&b, "{4}\r\na\r\nb"));
	buf_reset(&b);
	/* 8-bit: a literal, unless UTF-8 is on and it is valid UTF-8 */
	CHECK(imap_out_string(&b, "é", 2, false) == 0 && is(&b, "{2}\r\né"));
	buf_reset(&b);
	CHECK(imap_out_string(&b, "é", 2, true) == 0 && is(&b, "\"é\""));
	buf_reset(&b);
	CHECK(imap_out_string(&b, "\xff", 1, true) == 0 && is(&b, "{1}\r\n\xff"));
	buf_reset(&b);
	CHECK(imap_out_nstring(&b, NULL, 0, false) == 0 && is(&b, "NIL"));
	buf_reset(&b);
	CHECK(imap_out_astring(&b, "INBOX", 5, false) == 0 && is(&b, "INBOX"));
	buf_reset(&b);
	CHECK(imap_out_astring(&b, "nil", 3, false) == 0 && is(&b, "\"nil\""));
	buf_reset(&b);
	CHECK(imap_out_astring(&b, "a b", 3, false) == 0 && is(&b, "\"a b\""));
	buf_reset(&b);
	CHECK(imap_out_astring(&b, "", 0, false) == 0 && is(&b, "\"\""));
	buf_reset(&b);
	CHECK(imap_out_mailbox(&b, "Entwürfe", false) == 0 &&
	    is(&b, "\"Entw&APw-rfe\""));
	buf_reset(&b);
	CHECK(imap_out_mailbox(&b, "Entwürfe", true) == 0 && is(&b, "\"Entwürfe\""));
	buf_reset(&b);
	CHECK(imap_out_mailbox(&b, "\xff", true) < 0);
	/* long strings go as literals */
	char big[2000];
	memset(big, 'x', sizeof(big));
	buf_reset(&b);
	CHECK(imap_out_string(&b, big, sizeof(big), false) == 0 &&
	    memcmp(b.data, "{2000}\r\n", 8) == 0);
	buf_free(&b);
}

int
main(void)
{
	test_mutf7();
	test_base64();
	test_out();
	return check_done("imap_codec");
}
