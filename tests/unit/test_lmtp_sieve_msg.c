/* Unit tests for workers/lmtp's Sieve side without a store: the message as
 * a script sees it (lmtp_sieve_msg: decoded headers, body, MIME parts),
 * when vacation may answer and what it sends (lmtp_vacation), and the
 * notify method (lmtp_notify). */
#include "check.h"
#include "lmtp_notify.h"
#include "lmtp_sieve_msg.h"
#include "lmtp_vacation.h"
#include "sieve.h"
#include "sieve_run.h"

#include <stdio.h>
#include <string.h>

static const char base_msg[] =
    "From: Bob <bob@example.net>\r\n"
    "To: alice@example.org\r\n"
    "Subject: =?utf-8?q?caf=C3=A9?= and\r\n more\r\n"
    "Message-ID: <m1@example.net>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "c2VjcmV0IHBsYW4gZm9yIGxhdW5jaA==\r\n"
    "--b\r\n"
    "Content-Type: application/pdf\r\n"
    "\r\n"
    "%PDF\r\n"
    "--b--\r\n";

struct fixture {
	struct mime_msg m;
	struct lmtp_smsg s;
};

static void
open_msg(struct fixture *f, const char *text)
{
	CHECK_EQ(mime_parse(&f->m, text, strlen(text), NULL), 0);
	lmtp_smsg_init(&f->s, &f->m);
	f->s.sm.envelope_from = "bob@example.net";
	f->s.sm.envelope_to = "alice@example.org";
}

static void
close_msg(struct fixture *f)
{
	lmtp_smsg_free(&f->s);
	mime_free(&f->m);
}

/* Compile and run script against f's message: the first action. */
static int
run(struct fixture *f, const char *script, struct sieve_result *res)
{
	struct buf prog = BUF_INIT(SIEVE_MAX_PROGRAM);
	struct sieve_error err;
	if (sieve_compile(script, strlen(script), &prog, &err) < 0) {
		fprintf(stderr, "  compile: %u:%u %s\n", err.line, err.col,
		    err.msg);
		buf_free(&prog);
		return -1;
	}
	struct sieve_program *p = sieve_load(prog.data, prog.len, &err);
	buf_free(&prog);
	CHECK(p != NULL);
	int rc = sieve_run(p, &f->s.sm, NULL, res);
	sieve_program_free(p);
	return rc;
}

static bool
files_into(struct fixture *f, const char *script, const char *mailbox)
{
	struct sieve_result res;
	bool yes = run(f, script, &res) == 0 && res.n == 1 &&
	    res.actions[0].type == SIEVE_ACT_FILEINTO &&
	    strcmp(res.actions[0].arg, mailbox) == 0;
	sieve_result_free(&res);
	return yes;
}

static void
test_message(void)
{
	struct fixture f;
	open_msg(&f, base_msg);
	const char *v;
	size_t n;
	/* unfolded and decoded (RFC 5228 section 2.7.2) */
	CHECK_EQ(lmtp_smsg_field(&f.s, 0, "subject", 0, &v, &n), 0);
	CHECK(n == strlen("café and more") && memcmp(v, "café and more", n) == 0);
	CHECK_EQ(lmtp_smsg_field(&f.s, 0, "Subject", 1, &v, &n), -1);
	CHECK(files_into(&f, "require \"fileinto\";\n"
	    "if header :is \"subject\" \"café and more\" { fileinto \"Cafe\"; }",
	    "Cafe"));
	/* body :content transfer-decodes the text part; the raw body does not
	 * hold the decoded words */
	CHECK(files_into(&f, "require [\"fileinto\", \"body\"];\n"
	    "if body :content \"text\" :contains \"plan for launch\" "
	    "{ fileinto \"Plans\"; }", "Plans"));
	CHECK(!files_into(&f, "require [\"fileinto\", \"body\"];\n"
	    "if body :raw :contains \"plan for launch\" { fileinto \"Raw\"; }",
	    "Raw"));
	CHECK(files_into(&f, "require [\"fileinto\", \"body\"];\n"
	    "if body :text :contains \"secret\" { fileinto \"Text\"; }", "Text"));
	/* the MIME parts (RFC 5703) */
	CHECK(files_into(&f, "require [\"fileinto\", \"foreverypart\", "
	    "\"mime\"];\nforeverypart { if header :mime :subtype "
	    "\"Content-Type\" \"pdf\" { fileinto \"Pdf\"; } }", "Pdf"));
	CHECK(files_into(&f, "require [\"fileinto\", \"envelope\"];\n"
	    "if envelope :domain \"from\" \"example.net\" { fileinto \"Net\"; }",
	    "Net"));
	close_msg(&f);
}

static void
test_fields_and_body_views(void)
{
	struct fixture f;
	open_msg(&f, "X-A: 1\r\nX-B: 2\r\nx-a: 3\r\nReceived: r1\r\n"
	    "Received: r2\r\n\r\nbody text\r\n");
	const char *v;
	size_t n;
	/* any case, in message order, found by name */
	CHECK(lmtp_smsg_field(&f.s, 0, "X-A", 0, &v, &n) == 0 && n == 1 &&
	    v[0] == '1');
	CHECK(lmtp_smsg_field(&f.s, 0, "x-A", 1, &v, &n) == 0 && v[0] == '3');
	CHECK_EQ(lmtp_smsg_field(&f.s, 0, "X-A", 2, &v, &n), -1);
	CHECK(lmtp_smsg_field(&f.s, 0, "received", 1, &v, &n) == 0 &&
	    n == 2 && memcmp(v, "r2", 2) == 0);
	CHECK_EQ(lmtp_smsg_field(&f.s, 0, "X-", 0, &v, &n), -1);
	CHECK_EQ(lmtp_smsg_field(&f.s, 0, "X-C", 0, &v, &n), -1);
	/* a body view is made once per run; a run cannot ask for more than
	 * LMTP_SMSG_BODY_VIEWS different ones */
	const char *t1, *t2;
	size_t l1, l2;
	const char *types[1] = { "text" };
	CHECK_EQ(f.s.sm.body(&f.s, SIEVE_BODY_CONTENT, types, 1, &t1, &l1), 0);
	CHECK_EQ(f.s.sm.body(&f.s, SIEVE_BODY_CONTENT, types, 1, &t2, &l2), 0);
	CHECK(t1 == t2 && l1 == l2 && l1 >= 9 && memcmp(t1, "body text", 9) == 0);
	char names[LMTP_SMSG_BODY_VIEWS][16];
	int fails = 0;
	for (int i = 0; i < LMTP_SMSG_BODY_VIEWS; i++) {
		snprintf(names[i], sizeof(names[i]), "type%d", i);
		types[0] = names[i];
		fails += f.s.sm.body(&f.s, SIEVE_BODY_CONTENT, types, 1, &t1,
		    &l1) < 0;
	}
	CHECK_EQ(fails, 1);   /* the first view and 7 more fit; the 9th not */
	close_msg(&f);
}

static const char *
refusal(const char *headers, const char *sender)
{
	static char msg[2048];
	static struct fixture f;
	static bool open;
	if (open)
		close_msg(&f);
	snprintf(msg, sizeof(msg), "%s\r\nhello\r\n", headers);
	open_msg(&f, msg);
	open = true;
	static const char *const extra[] = { "alias@example.org" };
	struct lmtp_self self = { "alice+work@example.org", "alice@example.org",
		extra, 1 };
	return lmtp_vacation_refusal(&f.s, sender, &self);
}

static void
test_vacation_rules(void)
{
	const char *to = "To: Alice <alice@example.org>\r\n";
	CHECK(refusal(to, "bob@example.net") == NULL);
	CHECK(refusal("Cc: x@y, alias@EXAMPLE.org\r\n", "bob@example.net") ==
	    NULL);
	CHECK(refusal("To: alice+work@example.org\r\n", "b@x") == NULL);
	CHECK(refusal("Auto-Submitted: no\r\nTo: alice@example.org\r\n",
	    "b@x") == NULL);
	CHECK(refusal(to, "") != NULL);
	CHECK(refusal(to, "MAILER-DAEMON@example.net") != NULL);
	CHECK(refusal(to, "owner-list@example.net") != NULL);
	CHECK(refusal(to, "list-request@example.net") != NULL);
	CHECK(refusal(to, "alice@example.org") != NULL);
	CHECK(refusal("Auto-Submitted: auto-replied\r\nTo: alice@example.org\r\n",
	    "b@x") != NULL);
	CHECK(refusal("Precedence: bulk\r\nTo: alice@example.org\r\n", "b@x") !=
	    NULL);
	CHECK(refusal("Precedence: junk\r\nTo: alice@example.org\r\n", "b@x") !=
	    NULL);
	CHECK(refusal("List-Id: <l.example.net>\r\nTo: alice@example.org\r\n",
	    "b@x") != NULL);
	CHECK(refusal("List-Unsubscribe: <mailto:u@x>\r\nTo: alice@example.org"
	    "\r\n", "b@x") != NULL);
	CHECK(refusal("To: someone@example.org\r\n", "b@x") != NULL);
	CHECK(refusal("To: list@example.net\r\n", "b@x") != NULL);
}

static void
test_vacation_reply(void)
{
	struct fixture f;
	open_msg(&f, "From: bob@example.net\r\nTo: alice@example.org\r\n"
	    "Subject: Lunch?\r\nMessage-ID: <q@example.net>\r\n"
	    "References: <p@example.net>\r\n\r\nhi\r\n");
	struct sieve_action a = { .type = SIEVE_ACT_VACATION,
		.arg = "Away\nuntil Monday", .seconds = 7 * 86400 };
	struct buf out = BUF_INIT(1 << 20);
	CHECK_EQ(lmtp_vacation_compose(&out, &a, &f.s, "bob@example.net",
	    "alice@example.org", "mx.example.org", 1700000000), 0);
	const char *r = buf_cstr(&out);
	CHECK(strstr(r, "From: <alice@example.org>\r\n") != NULL);
	CHECK(strstr(r, "To: <bob@example.net>\r\n") != NULL);
	CHECK(strstr(r, "Subject: Auto: Lunch?\r\n") != NULL);
	CHECK(strstr(r, "In-Reply-To: <q@example.net>\r\n") != NULL);
	CHECK(strstr(r, "References: <p@example.net> <q@example.net>\r\n") !=
	    NULL);
	CHECK(strstr(r, "Auto-Submitted: auto-replied") != NULL);
	CHECK(strstr(r, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n") != NULL);
	CHECK(strstr(r, "\r\n\r\nAway\r\nuntil Monday\r\n") != NULL);
	/* :subject in UTF-8 is one encoded word; :mime keeps only the
	 * reason's Content-* fields, never an extra recipient */
	buf_reset(&out);
	a.subject = "Gone fishing é";
	a.mime = true;
	a.arg = "Content-Type: text/html\r\nBcc: evil@example.com\r\n\r\n<b>x</b>";
	CHECK_EQ(lmtp_vacation_compose(&out, &a, &f.s, "bob@example.net",
	    "alice@example.org", "mx.example.org", 1700000000), 0);
	r = buf_cstr(&out);
	CHECK(strstr(r, "Subject: =?UTF-8?B?") != NULL);
	CHECK(strstr(r, "Content-Type: text/html\r\n\r\n<b>x</b>") != NULL);
	CHECK(strstr(r, "evil@") == NULL);
	/* the memory key: per handle (or reason) and sender, any case */
	uint8_t k1[32], k2[32], k3[32];
	lmtp_vacation_key(&a, "Bob@Example.net", k1);
	lmtp_vacation_key(&a, "bob@example.net", k2);
	lmtp_vacation_key(&a, "carol@example.net", k3);
	CHECK(memcmp(k1, k2, 32) == 0 && memcmp(k1, k3, 32) != 0);
	buf_free(&out);
	close_msg(&f);
}

static void
test_notify(void)
{
	char a[256];
	CHECK_EQ(lmtp_mailto_address("mailto:al%69ce@example.org?subject=x", a,
	    sizeof(a)), 0);
	CHECK(strcmp(a, "alice@example.org") == 0);
	CHECK_EQ(lmtp_mailto_address("mailto:a@x,b@y", a, sizeof(a)), 0);
	CHECK(strcmp(a, "a@x") == 0);
	CHECK_EQ(lmtp_mailto_address("mailto:a%0d%0aBcc:@x", a, sizeof(a)), -1);
	CHECK_EQ(lmtp_mailto_address("xmpp:a@x", a, sizeof(a)), -1);
	CHECK_EQ(lmtp_mailto_address("mailto:nobody", a, sizeof(a)), -1);
	struct fixture f;
	open_msg(&f, "From: bob@example.net\r\nSubject: Hi\r\n\r\nx\r\n");
	struct buf out = BUF_INIT(1 << 16);
	CHECK_EQ(lmtp_notify_compose(&out, "alice@example.org", "a@x", NULL,
	    &f.s, "mx", 0), 0);
	const char *r = buf_cstr(&out);
	CHECK(strstr(r, "Auto-Submitted: auto-notified\r\n") != NULL);
	CHECK(strstr(r, "Subject: New mail from bob@example.net: Hi\r\n") != NULL);
	buf_free(&out);
	close_msg(&f);
	/* a subject that decodes to CR LF and a dot line stays one line in
	 * the body: no bare line end, nothing a relay could take as the end */
	open_msg(&f, "From: b@x\r\nSubject: =?utf-8?q?a=0D=0A=2E=0D=0AMAIL_FROM?=\r\n"
	    "\r\nx\r\n");
	out = (struct buf)BUF_INIT(1 << 16);
	CHECK_EQ(lmtp_notify_compose(&out, "a@x", "n@x", "note", &f.s, "mx", 0),
	    0);
	r = buf_cstr(&out);
	CHECK(strstr(r, "Subject: a  .  MAIL FROM\r\n") != NULL);
	CHECK(strstr(r, "\r\n.\r\n") == NULL);
	for (const char *p = r; *p; p++)
		if (*p == '\n')
			CHECK(p > r && p[-1] == '\r');
	buf_free(&out);
	close_msg(&f);
}

int
main(void)
{
	test_message();
	test_fields_and_body_views();
	test_vacation_rules();
	test_vacation_reply();
	test_notify();
	return check_done("lmtp_sieve_msg");
}
