/* Unit tests for workers/shared/msgmeta: the store metadata of a message
 * (what lmtpd and imapd send stored). */
#include "check.h"
#include "charset.h"
#include "mime.h"
#include "msgmeta.h"

#include <string.h>

static const char msg[] =
    "Return-Path: <s@example.org>\r\n"
    "From: =?utf-8?q?Z=C3=B6e?= <zoe@example.org>\r\n"
    "To: bob@example.com\r\n"
    "Subject: Re: [team] Plans\r\n"
    "Date: Tue, 2 Jan 2024 10:59:59 +0100\r\n"
    "Message-ID: <m1@example.org>\r\n"
    "References: <r0@example.org> <r1@example.org>\r\n"
    "X-Folded: one\r\n two\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "  Hello   Bob,\r\n\r\nthe plans are attached.\r\n"
    "--b\r\n"
    "Content-Type: application/pdf; name=plans.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0=\r\n"
    "--b--\r\n";

static void
test_meta(void)
{
	struct mime_msg m;
	struct msgmeta mm;
	CHECK_EQ(mime_parse(&m, msg, sizeof(msg) - 1, NULL), 0);
	CHECK_EQ(msgmeta_build(&mm, &m, NULL), 0);
	const struct store_msg_meta *md = &mm.meta;
	CHECK(strncmp(md->envelope, "(\"Tue, 2 Jan 2024", 17) == 0);
	CHECK(md->bodystructure[0] == '(' && strstr(md->bodystructure,
	    "\"mixed\" (\"boundary\" \"b\")") != NULL);
	CHECK(strstr(md->body, "\"boundary\"") == NULL);
	CHECK(strcmp(md->from, "Z\xc3\xb6" "e <zoe@example.org>") == 0);
	CHECK(strcmp(md->to, "bob@example.com") == 0);
	CHECK(md->cc == NULL && md->bcc == NULL && md->in_reply_to == NULL);
	CHECK(strcmp(md->subject, "Re: [team] Plans") == 0);
	CHECK(strcmp(md->sort_subject, "Plans") == 0);
	CHECK(strcmp(md->message_id, "<m1@example.org>") == 0);
	CHECK(strcmp(md->references, "<r0@example.org> <r1@example.org>") == 0);
	CHECK(strcmp(md->sort_from, "zoe") == 0);
	CHECK(strcmp(md->display_from, "Z\xc3\xb6" "e") == 0);
	CHECK_EQ(md->sentdate, 1704189599);
	CHECK(strcmp(md->preview, "Hello Bob, the plans are attached.") == 0);
	CHECK_EQ(md->info, STORE_INFO_HAS_ATTACHMENT);
	CHECK(md->headers_len > 0 && memmem(md->headers, md->headers_len,
	    "x-folded: one two\n", 18) != NULL);
	CHECK(memmem(md->headers, md->headers_len, "from: Z\xc3\xb6" "e <zoe",
	    14) != NULL);
	CHECK(md->text_len > 0 && memmem(md->text, md->text_len,
	    "the plans are attached.", 23) != NULL);
	CHECK(memmem(md->text, md->text_len, "JVBER", 5) == NULL);
	msgmeta_free(&mm);
	mime_free(&m);
}

static void
test_limits_and_nuls(void)
{
	const char nul[] = "Subject: a=?utf-8?q?=00?=b\r\n\r\nx\0y";
	struct mime_msg m;
	struct msgmeta mm;
	struct msgmeta_limits lim = { 1, 16, 10 };
	CHECK_EQ(mime_parse(&m, nul, sizeof(nul) - 1, NULL), 0);
	CHECK_EQ(msgmeta_build(&mm, &m, &lim), 0);
	CHECK(strcmp(mm.meta.subject, "a b") == 0);   /* no NUL inside */
	CHECK_EQ(mm.meta.text_len, 1);                /* capped */
	CHECK_EQ(mm.meta.headers_len, 0);             /* one line > 10 */
	CHECK(!msgmeta_has_attachment(&m));
	msgmeta_free(&mm);
	mime_free(&m);
}

int
main(void)
{
	charset_preload(NULL);
	charset_seal();
	test_meta();
	test_limits_and_nuls();
	return check_done("mime_meta");
}
