/* Unit test: submitd's DSN parameters (workers/submit/smtp_dsn.h):
 * NOTIFY values, ENVID, ORCPT as xtext, and the line bound. */
#include "check.h"
#include "smtp_dsn.h"

#include <string.h>

int
main(void)
{
	char out[1000];
	CHECK(smtp_dsn_notify_ok("FAILURE,DELAY"));
	CHECK(smtp_dsn_notify_ok("never"));
	CHECK(smtp_dsn_notify_ok("SUCCESS,FAILURE,DELAY"));
	CHECK(!smtp_dsn_notify_ok("NEVER,FAILURE"));
	CHECK(!smtp_dsn_notify_ok("FAILURE,FAILURE"));
	CHECK(!smtp_dsn_notify_ok("FAILURE,"));
	CHECK(!smtp_dsn_notify_ok(""));
	CHECK(!smtp_dsn_notify_ok("FAILURE DELAY"));
	CHECK_EQ(smtp_dsn_mail(out, sizeof(out), 42), 0);
	CHECK(strcmp(out, " RET=HDRS ENVID=cloister-S42") == 0);
	CHECK_EQ(smtp_dsn_mail(out, 10, 42), -1);
	CHECK_EQ(smtp_dsn_rcpt(out, sizeof(out), "FAILURE,DELAY",
	    "bob+x=y@example.org"), 0);
	CHECK(strcmp(out, " NOTIFY=FAILURE,DELAY"
	    " ORCPT=rfc822;bob+2Bx+3Dy@example.org") == 0);
	CHECK_EQ(smtp_dsn_rcpt(out, sizeof(out), "NEVER", "caf\xc3\xa9@x"), 0);
	CHECK(strcmp(out, " NOTIFY=NEVER ORCPT=rfc822;caf+C3+A9@x") == 0);
	/* no room for ORCPT: NOTIFY alone */
	CHECK_EQ(smtp_dsn_rcpt(out, 30, "FAILURE", "someone@example.org"), 0);
	CHECK(strcmp(out, " NOTIFY=FAILURE") == 0);
	CHECK_EQ(smtp_dsn_rcpt(out, 8, "FAILURE", "a@b"), -1);
	return check_done("smtp_dsn");
}
