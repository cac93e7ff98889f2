/* Unit tests for the policy parser: a good file parses; each kind of bad
 * file is refused with "name:line:" pointing at the right line. */
#include "check.h"
#include "ipc_types.h"
#include "policy.h"

#include <seccomp.h>
#include <string.h>

static struct policy p;
static char err[POLICY_ERR_MAX];

static const char good[] =
    "# a comment\n"
    "service  test\n"
    "process  cloister-test\n"
    "user     nobody\n"
    "group    nogroup\n"
    "root     /var/empty/test   # trailing comment\n"
    "on-violation kill\n"
    "files    none\n"
    "rlimit nofile 32\n"
    "rlimit as 512M\n"
    "rlimit fsize unlimited\n"
    "syscall read write : I/O\n"
    "syscall exit_group: leaving\n"
    "errno EPERM statx : libc falls back to fstat\n"
    "store-op ping pong : liveness\n";

static int
parse(const char *text, unsigned flags)
{
	return policy_parse("t.policy", text, strlen(text), flags, &p, err,
	    sizeof(err));
}

/* Replace the line starting with `key` in good[] by `repl` (or append). */
static int
parse_with(const char *key, const char *repl)
{
	char text[2048] = "";
	const char *s = good;
	int replaced = 0;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = (size_t)(nl - s) + 1;
		if (!replaced && key && strncmp(s, key, strlen(key)) == 0) {
			strncat(text, repl, sizeof(text) - strlen(text) - 1);
			replaced = 1;
		} else {
			strncat(text, s, n < sizeof(text) - strlen(text) - 1 ? n
			    : sizeof(text) - strlen(text) - 1);
		}
		s += n;
	}
	if (!replaced)
		strncat(text, repl, sizeof(text) - strlen(text) - 1);
	return parse(text, POLICY_CHECK_USERS);
}

static void
expect_error(const char *key, const char *repl, const char *where,
    const char *what)
{
	int r = parse_with(key, repl);
	CHECK_EQ(r, -1);
	if (strstr(err, where) == NULL || strstr(err, what) == NULL) {
		fprintf(stderr, "  wanted '%s' ... '%s', got: %s\n", where, what, err);
		CHECK(!"error message");
	}
}

int
main(void)
{
	CHECK_EQ(parse(good, POLICY_CHECK_USERS), 0);
	if (err[0])
		fprintf(stderr, "%s\n", err);
	CHECK(strcmp(p.spec.service, "test") == 0);
	CHECK(strcmp(p.process, "cloister-test") == 0);
	CHECK(strcmp(p.spec.root, "/var/empty/test") == 0);
	CHECK_EQ(p.spec.nsyscalls, 3);
	CHECK_EQ(p.spec.nerrno_rules, 1);
	CHECK(policy_allows_syscall(&p, seccomp_syscall_resolve_name("read")));
	CHECK(!policy_allows_syscall(&p, seccomp_syscall_resolve_name("open")));
	CHECK(p.spec.rlimit[SANDBOX_RL_AS].value == 512ULL << 20);
	CHECK(p.spec.rlimit[SANDBOX_RL_FSIZE].value == UINT64_MAX);
	CHECK(!p.spec.rlimit[SANDBOX_RL_CORE].set);
	CHECK(policy_allows_store_op(&p, IPC_PING));
	CHECK(!policy_allows_store_op(&p, IPC_OK));

	expect_error(NULL, "colour blue\n", "t.policy:16:", "unknown key 'colour'");
	expect_error("syscall read", "syscall read wrte : I/O\n", "t.policy:12:",
	    "unknown syscall 'wrte'");
	expect_error(NULL, "syscall read : again\n", "t.policy:16:",
	    "duplicate syscall 'read'");
	expect_error(NULL, "user nobody\n", "t.policy:16:", "duplicate 'user'");
	expect_error("user", "user no-such-user-here\n", "t.policy:4:",
	    "no such user");
	expect_error("user", "user root\n", "t.policy:4:", "root");
	expect_error("user", "# no user line\n", "t.policy:", "missing required key 'user'");
	expect_error("syscall read", "syscall read write\n", "t.policy:12:",
	    "reason");
	expect_error("syscall read", "syscall read write :\n", "t.policy:12:",
	    "empty reason");
	expect_error("rlimit as", "rlimit as lots\n", "t.policy:10:",
	    "bad rlimit value");
	expect_error("rlimit as", "rlimit heap 1M\n", "t.policy:10:",
	    "unknown rlimit");
	expect_error(NULL, "rlimit nofile 64\n", "t.policy:16:",
	    "duplicate rlimit");
	expect_error("root", "root relative/path\n", "t.policy:6:", "absolute");
	expect_error("root", "root /\n", "t.policy:6:", "no confinement");
	expect_error("on-violation", "on-violation ignore\n", "t.policy:7:",
	    "on-violation");
	expect_error("store-op", "store-op frobnicate : x\n", "t.policy:15:",
	    "unknown store operation");
	expect_error("errno", "errno EWHAT statx : x\n", "t.policy:14:",
	    "unknown errno");
	expect_error(NULL, "errno EPERM read : x\n", "t.policy:16:",
	    "also allowed");
	expect_error(NULL, "service again\n", "t.policy:16:", "duplicate 'service'");
	expect_error("service", "service two words\n", "t.policy:2:",
	    "exactly one value");

	expect_error(NULL, "syscall-cwd getpid : x\n", "t.policy:16:",
	    "takes no directory fd");

	/* without user checks (fuzzing, unit use) a missing user is fine */
	const char *nouser = "service x\nprocess x\nuser ghost\ngroup ghost\n"
	    "root /x\non-violation kill\nfiles none\nsyscall read : r\n";
	CHECK_EQ(parse(nouser, 0), 0);
	CHECK_EQ(parse(nouser, POLICY_CHECK_USERS), -1);
	CHECK(strstr(err, "t.policy:3:") != NULL);

	/* a missing file names the file */
	CHECK_EQ(policy_load("/nonexistent/x.policy", 0, &p, err, sizeof(err)), -1);
	CHECK(strstr(err, "/nonexistent/x.policy:0:") != NULL);
	return check_done("test_policy");
}
