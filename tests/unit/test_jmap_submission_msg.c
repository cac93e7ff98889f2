/* jmap_submission_msg: the bytes EmailSubmission sends (Bcc fields and
 * their continuation lines left out, nothing else touched), envelope
 * addresses, identity matching and RFC 3339 times (never earlier than
 * asked). */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "jmap_submission_msg.h"

static bool
strip_is(const char *in, const char *want)
{
	struct buf out = BUF_INIT(1 << 20);
	bool ok = jmap_strip_bcc(in, strlen(in), &out) == 0 &&
	    out.len == strlen(want) && memcmp(out.data, want, out.len) == 0;
	if (!ok)
		fprintf(stderr, "strip [%s]: got [%.*s]\n", in, (int)out.len,
		    out.data ? (const char *)out.data : "");
	buf_free(&out);
	return ok;
}

static bool
time_is(const char *s, bool ok, uint64_t want)
{
	uint64_t t = 0;
	bool got = jmap_rfc3339(s, &t);
	if (got != ok || (ok && t != want)) {
		fprintf(stderr, "%s: %d %llu, want %d %llu\n", s, got,
		    (unsigned long long)t, ok, (unsigned long long)want);
		return false;
	}
	return true;
}

int
main(void)
{
	CHECK(strip_is("From: a\r\nBcc: b@x\r\nTo: c\r\n\r\nbody\r\n",
	    "From: a\r\nTo: c\r\n\r\nbody\r\n"));
	/* folded, any case, a bare-LF message, the last field */
	CHECK(strip_is("BCC: b@x,\r\n\t c@x\r\nSubject: s\r\n\r\nx",
	    "Subject: s\r\n\r\nx"));
	CHECK(strip_is("To: c\nbcc:\nSubject: s\n\nx\n", "To: c\nSubject: s\n\nx\n"));
	CHECK(strip_is("To: c\r\nBcc: z\r\n\r\n", "To: c\r\n\r\n"));
	/* a Bcc in the body, or a field whose name only starts so, stays */
	CHECK(strip_is("To: c\r\n\r\nBcc: b@x\r\n", "To: c\r\n\r\nBcc: b@x\r\n"));
	CHECK(strip_is("Bccx: 1\r\n\r\n", "Bccx: 1\r\n\r\n"));
	CHECK(strip_is("", ""));
	CHECK(jmap_envelope_addr_ok("a@b"));
	CHECK(!jmap_envelope_addr_ok("a b@c"));
	CHECK(!jmap_envelope_addr_ok("a@b>"));
	CHECK(!jmap_envelope_addr_ok("ab"));
	CHECK(!jmap_envelope_addr_ok("@b"));
	CHECK(!jmap_envelope_addr_ok("a@"));
	CHECK(!jmap_envelope_addr_ok("a\r@b"));
	CHECK(jmap_identity_allows("Alice@Example.net", "alice@example.NET"));
	CHECK(!jmap_identity_allows("alice@example.net", "alice@example.net.evil"));
	CHECK(jmap_identity_allows("*@example.net", "bob@EXAMPLE.net"));
	CHECK(!jmap_identity_allows("*@example.net", "bob@sub.example.net"));
	CHECK(!jmap_identity_allows("*@example.net", "@example.net"));
	CHECK(time_is("2026-12-05T10:00:00Z", true, 1796464800));
	CHECK(time_is("2026-12-05T12:00:00+02:00", true, 1796464800));
	CHECK(time_is("2026-12-05T05:30:00-04:30", true, 1796464800));
	/* a fraction rounds up: never before the time asked */
	CHECK(time_is("2026-12-05T10:00:00.001Z", true, 1796464801));
	CHECK(time_is("2026-12-05T10:00:00.000Z", true, 1796464800));
	CHECK(time_is("2026-12-05 10:00:00Z", false, 0));
	CHECK(time_is("2026-13-05T10:00:00Z", false, 0));
	CHECK(time_is("2026-12-05T10:00:00", false, 0));
	CHECK(time_is("2026-12-05T10:00:00.Z", false, 0));
	CHECK(time_is("2026-12-05T10:00:00+0200", false, 0));
	CHECK(time_is("2026-12-05T10:00:00Zjunk", false, 0));
	return check_done("jmap_submission_msg");
}
