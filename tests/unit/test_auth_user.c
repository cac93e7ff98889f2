/* Unit tests for workers/auth/auth_user: which names are accepted, and the
 * default realm folding to one name per account. */
#include "check.h"
#include "auth_user.h"

#include <string.h>

static size_t
canon(const char *s, const char *realm)
{
	return auth_user_canon_len(s, strlen(s), realm);
}

int
main(void)
{
	const char *good[] = { "alice", "alice@example.org", "a.b-c_d+e",
		"\xc3\xa9lise", "x" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(auth_user_ok(good[i], strlen(good[i])));
	const char *bad[] = { "", "a b", "a/b", "@x", "x@", "a@b@c", "a\tb",
		"a\x7f", "\x01" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!auth_user_ok(bad[i], strlen(bad[i])));
	char big[300];
	memset(big, 'a', sizeof(big));
	CHECK(auth_user_ok(big, 255));
	CHECK(!auth_user_ok(big, 256));
	CHECK(!auth_user_ok("a\0b", 3));

	CHECK_EQ(canon("alice", "mail.example"), 5);
	CHECK_EQ(canon("alice@mail.example", "mail.example"), 5);
	CHECK_EQ(canon("alice@example.org", "mail.example"), 17);
	CHECK_EQ(canon("alice@xmail.example", "mail.example"), 19);
	CHECK_EQ(canon("@mail.example", "mail.example"), 0);
	CHECK_EQ(canon("a b@mail.example", "mail.example"), 0);
	CHECK_EQ(canon("alice@", "mail.example"), 0);
	CHECK_EQ(canon("alice", NULL), 5);
	return check_done("auth_user");
}
