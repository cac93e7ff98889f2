/* Unit test: the delivery-status fields lmtpd reads of a DSN
 * (workers/lmtp/lmtp_dsn_fields.h): the envelope id, per recipient the
 * address (Original- before Final-Recipient) and Action, folding,
 * comments, malformed blocks skipped, bounds. */
#include "check.h"
#include "lmtp_dsn_fields.h"

#include <stdio.h>
#include <string.h>

static struct dsn_fields d;

static void
parse(const char *s)
{
	dsn_fields_parse((const uint8_t *)s, strlen(s), &d);
}

static void
test_postfix_report(void)
{
	parse("Reporting-MTA: dns; mx.example.net\r\n"
	    "X-Postfix-Queue-ID: 4AbC\r\n"
	    "Original-Envelope-Id: cloister-S42\r\n"
	    "Arrival-Date: Sat,  5 Dec 2026 09:00:00 +0000 (UTC)\r\n"
	    "\r\n"
	    "Final-Recipient: rfc822; bob@example.org\r\n"
	    "Original-Recipient: rfc822;Bob@Example.org\r\n"
	    "Action: failed\r\n"
	    "Status: 5.1.1\r\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"
	    "\r\n"
	    "Final-Recipient: RFC822; <carol@example.org>\r\n"
	    "Action: delayed (will retry)\r\n"
	    "Status: 4.4.1\r\n");
	CHECK(strcmp(d.envid, "cloister-S42") == 0);
	CHECK_EQ(d.n, 2);
	CHECK(strcmp(d.rcpt[0].addr, "Bob@Example.org") == 0);
	CHECK_EQ(d.rcpt[0].action, STORE_REPORT_FAILED);
	CHECK(strcmp(d.rcpt[1].addr, "carol@example.org") == 0);
	CHECK_EQ(d.rcpt[1].action, STORE_REPORT_DELAYED);
	CHECK_EQ(dsn_envid_outbox(d.envid), 42);
}

static void
test_folding_and_bare_lf(void)
{
	parse("\nOriginal-Envelope-Id:\n cloister-S7\n\nFinal-Recipient: rfc822;\n"
	    "\tdave@example.org\nAction:\n delivered\n");
	CHECK(strcmp(d.envid, "cloister-S7") == 0);
	CHECK_EQ(d.n, 1);
	CHECK(strcmp(d.rcpt[0].addr, "dave@example.org") == 0);
	CHECK_EQ(d.rcpt[0].action, STORE_REPORT_DELIVERED);
}

static void
test_malformed_skipped(void)
{
	parse("Original-Envelope-Id: x\r\n\r\n"
	    "Final-Recipient: x400; a=b\r\nAction: failed\r\n\r\n"  /* not rfc822 */
	    "Final-Recipient: rfc822; a b@c\r\nAction: failed\r\n\r\n"
	    "Final-Recipient: rfc822; ok@c\r\nAction: exploded\r\n\r\n"
	    "Action: failed\r\n\r\n"                                /* no address */
	    "Final-Recipient: rfc822; good@c\r\nAction: relayed\r\n");
	CHECK_EQ(d.n, 1);
	CHECK(strcmp(d.rcpt[0].addr, "good@c") == 0);
	CHECK_EQ(d.rcpt[0].action, STORE_REPORT_RELAYED);
	CHECK_EQ(dsn_envid_outbox(d.envid), 0);
	CHECK_EQ(dsn_envid_outbox("cloister-S"), 0);
	CHECK_EQ(dsn_envid_outbox("cloister-S12x"), 0);
	CHECK_EQ(dsn_envid_outbox("cloister-S99999999999999999999"), 0);
	CHECK_EQ(dsn_envid_outbox("S12"), 0);
}

static void
test_bounds(void)
{
	static char big[64 * 1024];
	size_t n = 0;
	n += (size_t)snprintf(big, sizeof(big), "Original-Envelope-Id: ");
	memset(big + n, 'x', 200);          /* longer than an ENVID may be */
	n += 200;
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n\r\n");
	for (int i = 0; i < 150 && n + 80 < sizeof(big); i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		    "Final-Recipient: rfc822; r%d@x\r\nAction: failed\r\n\r\n", i);
	dsn_fields_parse((const uint8_t *)big, n, &d);
	CHECK(strcmp(d.envid, "") == 0);
	CHECK_EQ(d.n, DSN_RCPTS_MAX);
	char addr[STORE_OUTBOX_ADDR_MAX + 40];
	memset(addr, 'a', sizeof(addr) - 1);
	addr[sizeof(addr) - 1] = '\0';
	n = (size_t)snprintf(big, sizeof(big), "\r\nFinal-Recipient: rfc822; %s\r\n"
	    "Action: failed\r\n", addr);
	dsn_fields_parse((const uint8_t *)big, n, &d);
	CHECK_EQ(d.n, 0);                   /* an address too long is no match */
	parse("");
	CHECK_EQ(d.n, 0);
}

static void
test_mdn(void)
{
	static struct mdn_fields m;
	const char *s = "Reporting-UA: mua.example.org; Mail 1.0\r\n"
	    "Original-Recipient: rfc822;Bob@Example.org\r\n"
	    "Final-Recipient: rfc822; bob@example.org\r\n"
	    "Original-Message-ID: <abc.123@example.net>\r\n"
	    "Disposition: manual-action/MDN-sent-manually;\r\n"
	    " displayed\r\n";
	mdn_fields_parse((const uint8_t *)s, strlen(s), &m);
	CHECK(strcmp(m.msgid, "abc.123@example.net") == 0);
	CHECK(strcmp(m.rcpt.addr, "Bob@Example.org") == 0);
	CHECK_EQ(m.rcpt.action, STORE_REPORT_DISPLAYED);
	s = "Final-Recipient: rfc822; c@x\nOriginal-Message-ID: <a@b>\n"
	    "Disposition: automatic-action/MDN-sent-automatically; deleted\n";
	mdn_fields_parse((const uint8_t *)s, strlen(s), &m);
	CHECK(strcmp(m.rcpt.addr, "c@x") == 0);
	CHECK_EQ(m.rcpt.action, STORE_REPORT_OTHER);
	/* no usable recipient: no action; a Message-ID with a blank: none */
	s = "Original-Message-ID: <a b@c>\nDisposition: x/y; displayed\n";
	mdn_fields_parse((const uint8_t *)s, strlen(s), &m);
	CHECK(strcmp(m.msgid, "") == 0);
	CHECK_EQ(m.rcpt.action, 0);
	s = "Final-Recipient: rfc822; c@x\nDisposition: displayed\n";
	mdn_fields_parse((const uint8_t *)s, strlen(s), &m);
	CHECK_EQ(m.rcpt.action, 0);          /* no mode; no type */
}

int
main(void)
{
	test_mdn();
	test_postfix_report();
	test_folding_and_bare_lf();
	test_malformed_skipped();
	test_bounds();
	return check_done("lmtp_dsn_fields");
}
