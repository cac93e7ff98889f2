/* Unit tests of the Sieve edit builder (lmtp_sieve_edit): the exact bytes
 * of replace (whole message, :mime, :subject, :from, one part of a nested
 * multipart) and enclose (:subject, :headers), and what it refuses. */
#include "check.h"
#include "lmtp_sieve_edit.h"
#include "lmtp_sieve_msg.h"
#include "sieve.h"

#include <stdio.h>
#include <string.h>

static const struct lmtp_edit_env env = { "alice+box@example.org",
	"alice@example.org", "mx.test", 86400 };

/* plain_msg's header as a replace leaves it, and a text part's fields */
#define KEPT "From: Bob <bob@example.net>\r\nTo: alice@example.org\r\n" \
	"Subject: Hi\r\nMIME-Version: 1.0\r\n"
#define TEXT_PART "Content-Type: text/plain; charset=utf-8\r\n" \
	"Content-Transfer-Encoding: 7bit\r\n\r\n"

static const char plain_msg[] =
    "From: Bob <bob@example.net>\r\n"
    "To: alice@example.org\r\n"
    "Subject: Hi\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "body\r\n";

static const char nested_msg[] =
    "From: bob@example.net\r\n"
    "Content-Type: multipart/mixed; boundary=\"out\"\r\n"
    "\r\n"
    "--out\r\n"
    "Content-Type: multipart/alternative; boundary=\"in\"\r\n"
    "\r\n"
    "--in\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "plain\r\n"
    "--in\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<b>html</b>\r\n"
    "--in--\r\n"
    "--out\r\n"
    "Content-Type: application/pdf\r\n"
    "\r\n"
    "%PDF\r\n"
    "--out--\r\n";

/* Apply a to msg: 0 and out's text in got, or -1. */
static int
edit(const char *msg, const struct sieve_action *a, size_t max,
    struct buf *out)
{
	struct mime_msg m;
	const char *why = NULL;
	CHECK_EQ(mime_parse(&m, msg, strlen(msg), NULL), 0);
	buf_init(out, max);
	int rc = lmtp_edit_apply(out, &m, a, &env, &why);
	mime_free(&m);
	if (rc < 0)
		CHECK(why != NULL);
	return rc;
}

static void
expect(const char *msg, const struct sieve_action *a, const char *want)
{
	struct buf out;
	CHECK_EQ(edit(msg, a, 1u << 20, &out), 0);
	const char *got = buf_cstr(&out);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "  got:\n%s\n  want:\n%s\n", got, want);
	CHECK(strcmp(got, want) == 0);
	buf_free(&out);
}

static void
test_replace_whole(void)
{
	struct sieve_action a = { .type = SIEVE_ACT_REPLACE, .arg = "new\nbody",
		.subject = "Neu \xc3\xbc", .from = "Alice <alice@example.org>" };
	expect(plain_msg, &a,
	    "Original-From: Bob <bob@example.net>\r\n"
	    "To: alice@example.org\r\n"
	    "Original-Subject: Hi\r\n"
	    "Subject: =?UTF-8?B?TmV1IMO8?=\r\n"
	    "From: Alice <alice@example.org>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "\r\n"
	    "new\r\nbody\r\n");
	/* the address given at RCPT is the user's too */
	struct buf out;
	struct sieve_action rcpt = { .type = SIEVE_ACT_REPLACE, .arg = "x",
		.from = "<Alice+Box@EXAMPLE.org>" };
	CHECK_EQ(edit(plain_msg, &rcpt, 1u << 20, &out), 0);
	CHECK(strstr(buf_cstr(&out), "\r\nFrom: <Alice+Box@EXAMPLE.org>\r\n")
	    != NULL);
	buf_free(&out);
	/* a From that is not the user's own is ignored (RFC 5703 6) */
	struct sieve_action b = { .type = SIEVE_ACT_REPLACE, .arg = "x",
		.from = "boss@example.org" };
	expect(plain_msg, &b,
	    KEPT TEXT_PART
	    "x\r\n");
	/* :mime: the entity's Content-* fields only, never a From or Bcc */
	struct sieve_action c = { .type = SIEVE_ACT_REPLACE, .mime = true,
		.arg = "From: ceo@example.org\nContent-Type: text/html\n"
		"Bcc: x@example.com\n\n<p>caf\xc3\xa9</p>" };
	expect(plain_msg, &c,
	    KEPT
	    "Content-Type: text/html\r\n"
	    "\r\n"
	    "<p>caf\xc3\xa9</p>\r\n");
	struct sieve_action d = { .type = SIEVE_ACT_REPLACE, .mime = true,
		.arg = "no header" };
	expect(plain_msg, &d,
	    KEPT TEXT_PART
	    "no header\r\n");
}

static void
test_replace_part(void)
{
	/* parts: 0 message, 1 alternative, 2 plain, 3 html, 4 pdf */
	struct sieve_action a = { .type = SIEVE_ACT_REPLACE, .part = 4,
		.arg = "removed" };
	char want[1024];
	const char *pdf = strstr(nested_msg, "Content-Type: application/pdf");
	snprintf(want, sizeof(want), "%.*s%s", (int)(pdf - nested_msg),
	    nested_msg, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n\r\nremoved\r\n--out--\r\n");
	expect(nested_msg, &a, want);
	struct sieve_action h = { .type = SIEVE_ACT_REPLACE, .part = 3,
		.mime = true, .arg = "Content-Type: text/plain\r\n\r\nno html\r\n" };
	const char *html = strstr(nested_msg, "Content-Type: text/html");
	const char *after = strstr(html, "\r\n--in--");
	snprintf(want, sizeof(want), "%.*sContent-Type: text/plain\r\n\r\n"
	    "no html%s", (int)(html - nested_msg), nested_msg, after);
	expect(nested_msg, &h, want);
	/* a replacement holding a delimiter of an enclosing multipart
	 * would forge parts: refused */
	struct buf out;
	struct sieve_action forge = { .type = SIEVE_ACT_REPLACE, .part = 2,
		.arg = "x\n--out\nContent-Type: text/html\n\nforged" };
	CHECK_EQ(edit(nested_msg, &forge, 1u << 20, &out), -1);
	buf_free(&out);
	/* an empty part after a last delimiter line that has no line end:
	 * the new part starts on a line of its own */
	const char *cut = "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\n\r\nx\r\n--b";
	struct sieve_action last = { .type = SIEVE_ACT_REPLACE, .part = 2,
		.arg = "removed" };
	snprintf(want, sizeof(want), "%s\r\n%s", cut, "Content-Type:"
	    " text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit"
	    "\r\n\r\nremoved");
	expect(cut, &last, want);
	struct sieve_action none = { .type = SIEVE_ACT_REPLACE, .part = 9,
		.arg = "x" };
	CHECK_EQ(edit(nested_msg, &none, 1u << 20, &out), -1);
	buf_free(&out);
}

static void
test_enclose(void)
{
	static const char *const hdrs[] = { "Date", "message-id", "From",
		"To" };
	const char *orig = "Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n"
	    "Message-ID: <1@x>\r\nFrom: bob@example.net\r\nTo: a@x\r\n"
	    "Cc: c@x\r\nSubject: Old\r\n\r\nhello\r\n";
	struct sieve_action a = { .type = SIEVE_ACT_ENCLOSE, .arg = "See the"
		" attached.", .subject = "Enclosed", .headers = hdrs,
		.nheaders = 4 };
	char want[2048];
	snprintf(want, sizeof(want),
	    "Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n"
	    "Message-ID: <1@x>\r\nFrom: bob@example.net\r\nTo: a@x\r\n"
	    "Subject: Enclosed\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"=_cloister_enclose_0\"\r\n"
	    "\r\n"
	    "--=_cloister_enclose_0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "\r\n"
	    "See the attached.\r\n"
	    "\r\n"
	    "--=_cloister_enclose_0\r\n"
	    "Content-Type: message/rfc822\r\n"
	    "\r\n"
	    "%s"
	    "\r\n"
	    "--=_cloister_enclose_0--\r\n", orig);
	expect(orig, &a, want);
	/* nothing copied: the original Subject, a new Date, Message-ID and
	 * the user as From; a boundary the message holds is not used */
	struct sieve_action b = { .type = SIEVE_ACT_ENCLOSE, .arg = "t" };
	struct buf out;
	CHECK_EQ(edit("Subject: S\r\n\r\n--=_cloister_enclose_0\r\n", &b,
	    1u << 20, &out), 0);
	const char *got = buf_cstr(&out);
	CHECK(strncmp(got, "Subject: S\r\nDate: Fri, 02 Jan 1970 00:00:00"
	    " +0000\r\nMessage-ID: <", 62) == 0);
	CHECK(strstr(got, ".auto@mx.test>\r\nFrom: <alice@example.org>\r\n"
	    "MIME-Version: 1.0\r\n") != NULL);
	CHECK(strstr(got, "boundary=\"=_cloister_enclose_1\"") != NULL);
	CHECK(strstr(got, "To:") == NULL && strstr(got, "Cc:") == NULL);
	buf_free(&out);
	/* over the limit: refused */
	CHECK_EQ(edit(orig, &a, 200, &out), -1);
	buf_free(&out);
}

/* What the interpreter hands over inside foreverypart is the part the
 * builder replaces. */
static void
test_from_script(void)
{
	struct mime_msg m;
	struct lmtp_smsg s;
	CHECK_EQ(mime_parse(&m, nested_msg, strlen(nested_msg), NULL), 0);
	lmtp_smsg_init(&s, &m);
	s.sm.envelope_from = "bob@example.net";
	s.sm.envelope_to = "alice@example.org";
	s.sm.edits = true;
	const char *script = "require [\"foreverypart\", \"mime\", \"replace\"];\n"
	    "foreverypart { if header :mime :subtype \"Content-Type\" \"pdf\""
	    " { replace \"gone\"; } }\n";
	struct buf prog = BUF_INIT(SIEVE_MAX_PROGRAM);
	struct sieve_error err;
	CHECK_EQ(sieve_compile(script, strlen(script), &prog, &err), 0);
	struct sieve_program *p = sieve_load(prog.data, prog.len, &err);
	CHECK(p != NULL);
	struct sieve_result res;
	CHECK_EQ(sieve_run(p, &s.sm, NULL, &res), 0);
	const struct sieve_action *a = NULL;
	for (size_t i = 0; i < res.n; i++)
		if (res.actions[i].type == SIEVE_ACT_REPLACE)
			a = &res.actions[i];
	CHECK(a != NULL);
	if (a != NULL) {
		struct buf out = BUF_INIT(1u << 20);
		const char *why;
		CHECK_EQ(lmtp_edit_apply(&out, &m, a, &env, &why), 0);
		const char *got = buf_cstr(&out);
		CHECK(strstr(got, "%PDF") == NULL);
		CHECK(strstr(got, "\r\n\r\ngone\r\n--out--\r\n") != NULL);
		CHECK(strstr(got, "<b>html</b>") != NULL);
		buf_free(&out);
	}
	sieve_result_free(&res);
	sieve_program_free(p);
	buf_free(&prog);
	lmtp_smsg_free(&s);
	mime_free(&m);
}

int
main(void)
{
	test_replace_whole();
	test_replace_part();
	test_enclose();
	test_from_script();
	return check_done("lmtp_sieve_edit");
}
