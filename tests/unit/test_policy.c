/* Unit tests for the policy parser: a good file parses; each kind of bad
 * file is refused with "name:line:" pointing at the right line. */
#include "check.h"
#include "ipc_types.h"
#include "policy.h"

#include <fcntl.h>
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
	/* Landlock's view of the root follows from 'files' and whether a
	 * call that changes a tree is allowed */
	CHECK_EQ(p.spec.tree, SANDBOX_TREE_NONE);
	CHECK_EQ(parse_with("files", "files own\n"), 0);
	CHECK_EQ(p.spec.tree, SANDBOX_TREE_READ);
	CHECK_EQ(parse_with("files", "files own\nsyscall-cwd unlinkat : x\n"), 0);
	CHECK_EQ(p.spec.tree, SANDBOX_TREE_OWN);
	CHECK_EQ(parse_with("files", "files own\nsyscall rmdir : x\n"), 0);
	CHECK_EQ(p.spec.tree, SANDBOX_TREE_OWN);
	CHECK_EQ(parse_with("files", "files none\nsyscall rmdir : x\n"), 0);
	CHECK_EQ(p.spec.tree, SANDBOX_TREE_NONE);
	/* network: the empty namespace unless "host", which brings
	 * Landlock's connect ports 443 and 53 and the one extra port */
	CHECK(!p.spec.host_network);
	CHECK_EQ(parse_with(NULL, "network host\n"), 0);
	CHECK(p.spec.host_network);
	CHECK_EQ(p.spec.nconnect_ports, 2);
	CHECK(p.spec.connect_ports[0] == 443 && p.spec.connect_ports[1] == 53);
	policy_extra_connect_port = 24901;
	CHECK_EQ(parse_with(NULL, "network host\n"), 0);
	CHECK_EQ(p.spec.nconnect_ports, 3);
	CHECK(p.spec.connect_ports[2] == 24901);
	policy_extra_connect_port = 0;
	CHECK_EQ(parse_with(NULL, "network none\n"), 0);
	CHECK(!p.spec.host_network);
	expect_error(NULL, "network all\n", "t.policy:16:",
	    "network is 'none' or 'host'");
	expect_error(NULL, "network host\nnetwork host\n", "t.policy:17:",
	    "duplicate 'network'");

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

	/* argument rules: syscall-if */
	CHECK_EQ(parse_with(NULL, "syscall-if fcntl arg0>=5 arg1==F_SETFL "
	    "arg2&~O_NONBLOCK|O_ACCMODE|O_LARGEFILE==0 : O_NONBLOCK\n"
	    "syscall-if fcntl arg1==F_GETFL : flags\n"
	    "syscall-if mmap arg2&PROT_EXEC==0 : malloc\n"
	    "syscall-if setsockopt arg1==IPPROTO_TCP arg2==0x1 : nodelay\n"
	    "syscall-cwd newfstatat : stat\n"
	    "syscall-if newfstatat arg3&AT_EMPTY_PATH==AT_EMPTY_PATH : fstat\n"),
	    0);
	CHECK_EQ(p.spec.narg_rules, 5);
	const struct sandbox_arg_rule *r = &p.spec.arg_rules[0];
	CHECK_EQ(r->nr, seccomp_syscall_resolve_name("fcntl"));
	CHECK_EQ(r->ncmp, 3);
	CHECK(r->cmp[0].arg == 0 && r->cmp[0].op == SANDBOX_CMP_GE &&
	    r->cmp[0].value == 5);
	CHECK(r->cmp[1].arg == 1 && r->cmp[1].mask == 0xffffffffu &&
	    r->cmp[1].value == F_SETFL);
	CHECK(r->cmp[2].arg == 2 && r->cmp[2].value == 0 && r->cmp[2].mask ==
	    ~(uint32_t)(O_NONBLOCK | O_ACCMODE | O_LARGEFILE));
	CHECK(p.spec.arg_rules[3].cmp[1].value == 1);
	CHECK(policy_allows_syscall(&p, seccomp_syscall_resolve_name("fcntl")));

	/* each refused argument rule names its line and the reason */
	static const struct { const char *text, *where, *what; } bad_rules[] = {
		{ "syscall ioctl : x\n",
		  "t.policy:16:", "not allowed plain" },
		{ "syscall-if ioctl arg1==FIOASYNC : x\n",
		  "t.policy:16:", "never allowed" },
		{ "syscall-if ioctl arg1==FIOSETOWN : x\n",
		  "t.policy:16:", "never allowed" },
		{ "syscall-if ioctl arg0==5 : x\n",
		  "t.policy:16:", "name the request" },
		{ "syscall fcntl : x\n",
		  "t.policy:16:", "not allowed plain" },
		{ "syscall mmap : x\n",
		  "t.policy:16:", "PROT_EXEC" },
		{ "syscall setsockopt : x\n",
		  "t.policy:16:", "not allowed plain" },
		{ "syscall newfstatat : x\n",
		  "t.policy:16:", "AT_EMPTY_PATH" },
		{ "syscall-if fcntl arg1==F_SETOWN : x\n",
		  "t.policy:16:", "never allowed" },
		{ "syscall-if fcntl arg1==F_SETSIG : x\n",
		  "t.policy:16:", "never allowed" },
		{ "syscall-if fcntl arg1==F_SETPIPE_SZ : x\n",
		  "t.policy:16:", "never allowed" },
		{ "syscall-if fcntl arg1==F_SETFL : x\n",
		  "t.policy:16:", "O_ASYNC" },
		{ "syscall-if fcntl arg1==F_SETFL arg2&O_NONBLOCK==0 : x\n",
		  "t.policy:16:", "O_ASYNC" },
		{ "syscall-if fcntl arg2==0 : x\n",
		  "t.policy:16:", "name the command" },
		{ "syscall-if fcntl arg1&F_GETFL==F_GETFL : x\n",
		  "t.policy:16:", "name the command" },
		{ "syscall-if mmap arg2&PROT_WRITE==0 : x\n",
		  "t.policy:16:", "PROT_EXEC" },
		{ "syscall-if mprotect arg0==0 : x\n",
		  "t.policy:16:", "PROT_EXEC" },
		{ "syscall-if setsockopt arg1==SOL_SOCKET arg2==SO_ATTACH_FILTER : x\n",
		  "t.policy:16:", "socket filter" },
		{ "syscall-if setsockopt arg1==IPPROTO_TCP : x\n",
		  "t.policy:16:", "level and the option" },
		{ "syscall-if newfstatat arg3==0 : x\n",
		  "t.policy:16:", "AT_FDCWD" },
		{ "syscall-if openat arg2==0 : x\n",
		  "t.policy:16:", "AT_FDCWD" },
		{ "syscall-if fcntl arg9==F_GETFL : x\n",
		  "t.policy:16:", "arg0..arg5" },
		{ "syscall-if fcntl arg1==F_NOPE : x\n",
		  "t.policy:16:", "unknown name 'F_NOPE'" },
		{ "syscall-if fcntl arg1=F_GETFL : x\n",
		  "t.policy:16:", "no '==' or '>='" },
		{ "syscall-if fcntl arg2&1==2 : x\n",
		  "t.policy:16:", "can never hold" },
		{ "syscall-if fcntl arg1==0x1ffffffff : x\n",
		  "t.policy:16:", "bad number" },
		{ "syscall-if fcntl arg0>=5 arg0>=6 arg1==F_GETFL : x\n",
		  "t.policy:16:", "at most one '>='" },
		{ "syscall-if read arg0==0 : x\n",
		  "t.policy:16:", "also allowed without conditions" },
		{ "syscall-if fcntl : x\n",
		  "t.policy:16:", "argument tests" },
		{ "syscall-if fcntl arg1==F_GETFL : a\n"
		  "syscall-if fcntl arg1==F_GETFL : b\n",
		  "t.policy:17:", "duplicate syscall-if rule" },
		{ "syscall-if getpid arg0==0 : a\nsyscall getpid : b\n",
		  "t.policy:17:", "also has syscall-if rules" },
	};
	for (size_t i = 0; i < sizeof(bad_rules) / sizeof(bad_rules[0]); i++)
		expect_error(NULL, bad_rules[i].text, bad_rules[i].where,
		    bad_rules[i].what);

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
