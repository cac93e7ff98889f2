/* Unit tests for common/config: a full config parses; each bad line is
 * refused with name:line; options fall back from service to global. */
#include "check.h"
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct config c;
static char err[CONFIG_ERR_MAX];

#define GOOD                                                               \
	"# test\n"                                                         \
	"policy-dir /tmp\n"                                                \
	"set tls-cert /etc/x.pem\n"                                        \
	"set max-literal 1M\n"                                             \
	"service imapd {\n"                                                \
	"  role connection\n"                                              \
	"  binary /bin/true\n"                                             \
	"  policy /dev/null\n"                                             \
	"  listen imap tcp 127.0.0.1:1143 starttls\n"                      \
	"  listen imaps tcp [::1]:1993 tls\n"                              \
	"  spares 3\n"                                                     \
	"  set max-literal 50M\n"                                          \
	"}\n"                                                              \
	"service lmtpd {\n"                                                \
	"  role connection\n"                                              \
	"  binary /bin/true\n"                                             \
	"  policy /dev/null\n"                                             \
	"  listen lmtp unix /run/x/lmtp plain owner=root mode=0660\n"      \
	"}\n"

static int
parse(const char *t)
{
	return config_parse("c.conf", t, strlen(t), &c, err, sizeof(err));
}

static void
bad(const char *text, const char *where, const char *what)
{
	CHECK_EQ(parse(text), -1);
	if (!strstr(err, where) || !strstr(err, what)) {
		fprintf(stderr, "  wanted %s ... %s, got %s\n", where, what, err);
		CHECK(!"config error message");
	}
}

/* A struct that held another config (or garbage) parses to the same bytes
 * as a zeroed one, in every field and every entry in use: the parser zeroes
 * each part it fills, not the whole ~480 KiB. */
static void
test_parse_over_garbage(void)
{
	static struct config zeroed;
	memset(&zeroed, 0, sizeof(zeroed));
	CHECK_EQ(config_parse("c.conf", GOOD, strlen(GOOD), &zeroed, err,
	    sizeof(err)), 0);
	memset(&c, 0xa5, sizeof(c));
	CHECK_EQ(parse(GOOD), 0);
	CHECK(memcmp(&c, &zeroed, offsetof(struct config, options)) == 0);
	CHECK_EQ(c.noptions, zeroed.noptions);
	CHECK_EQ(c.nservices, zeroed.nservices);
	CHECK(memcmp(c.options, zeroed.options,
	    zeroed.noptions * sizeof(c.options[0])) == 0);
	CHECK(memcmp(c.services, zeroed.services,
	    zeroed.nservices * sizeof(c.services[0])) == 0);
}

/* config_option_range_check: in range, at either end, below, above, absent
 * (the default, unchecked by the file) and not a number; each refusal names
 * file:line and the range. */
static void
test_option_range(void)
{
	CHECK_EQ(parse(GOOD "set a 5\nset lo 0\nset hi 11\nset nan 12x\n"
	    "set big 2K\n"), 0);
	uint64_t v = 0;
	CHECK_EQ(config_option_range_check(&c, NULL, "a", 7, 1, 10, &v, err,
	    sizeof(err)), 0);
	CHECK_EQ(v, 5);
	CHECK_EQ(config_option_range_check(&c, NULL, "a", 7, 5, 5, &v, err,
	    sizeof(err)), 0);
	CHECK_EQ(config_option_range_check(&c, NULL, "big", 0, 1, 2048, &v, err,
	    sizeof(err)), 0);
	CHECK_EQ(v, 2048);
	CHECK_EQ(config_option_range_check(&c, NULL, "absent", 7, 1, 10, &v, err,
	    sizeof(err)), 0);
	CHECK_EQ(v, 7);
	err[0] = '\0';
	CHECK_EQ(config_option_range_check(&c, NULL, "lo", 7, 1, 10, &v, err,
	    sizeof(err)), -1);
	CHECK(strcmp(err, "c.conf:21: lo is 1..10") == 0);
	CHECK_EQ(config_option_range_check(&c, NULL, "hi", 7, 1, 10, &v, err,
	    sizeof(err)), -1);
	CHECK(strcmp(err, "c.conf:22: hi is 1..10") == 0);
	CHECK_EQ(config_option_range_check(&c, NULL, "nan", 7, 1, 10, &v, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "c.conf:23: bad size '12x'") != NULL);
	/* the worker form returns the value; a refusal ends the process */
	CHECK_EQ(config_option_range(&c, NULL, "a", 7, 1, 10), 5);
	CHECK_EQ(config_option_range(&c, NULL, "absent", 7, 1, 10), 7);
	pid_t pid = fork();
	if (pid == 0) {
		(void)config_option_range(&c, NULL, "hi", 7, 1, 10);
		_exit(0);
	}
	int st = 0;
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
}

int
main(void)
{
	test_parse_over_garbage();
	test_option_range();
	CHECK_EQ(parse(GOOD), 0);
	if (err[0])
		fprintf(stderr, "%s\n", err);
	CHECK_EQ(c.nservices, 2);
	const struct config_service *s = config_find_service(&c, "imapd");
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ(s->nlisteners, 2);
		CHECK_EQ(s->listeners[1].family, AF_INET6);
		CHECK_EQ(s->listeners[1].port, 1993);
		CHECK_EQ(s->listeners[1].tls, TLS_IMPLICIT);
		CHECK_EQ(s->spares, 3);
		CHECK_EQ(s->max_processes, 100);
		uint64_t v;
		CHECK_EQ(config_option_size(&c, s, "max-literal", 0, &v, err,
		    sizeof(err)), 0);
		CHECK(v == 50ULL << 20);
		CHECK(strcmp(config_option(&c, s, "tls-cert"), "/etc/x.pem") == 0);
		CHECK(config_option(&c, s, "nothing") == NULL);
	}
	const struct config_service *l = config_find_service(&c, "lmtpd");
	CHECK(l && l->listeners[0].family == AF_UNIX && l->listeners[0].mode == 0660);
	CHECK(l && strcmp(l->listeners[0].owner, "root") == 0);

	bad(GOOD "colour blue\n", "c.conf:20:", "unknown key 'colour'");
	bad(GOOD "service imapd {\n", "c.conf:20:", "duplicate service 'imapd'");
	bad("policy-dir /tmp\nservice x {\n role connection\n binary /nonexistent/bin\n",
	    "c.conf:4:", "binary /nonexistent/bin");
	bad("policy-dir /tmp\nservice x {\n role connection\n binary /bin/true\n"
	    " policy /dev/null\n listen a tcp 127.0.0.1:99999 plain\n}\n",
	    "c.conf:6:", "bad port");
	bad("policy-dir /tmp\nservice x {\n role connection\n binary /bin/true\n"
	    " policy /dev/null\n listen a tcp 127.0.0.1:143 plain\n"
	    " listen b tcp 127.0.0.1:143 tls\n}\n", "c.conf:7:", "already used");
	bad("policy-dir /tmp\nservice x {\n role connection\n binary /bin/true\n"
	    " policy /dev/null\n}\n", "c.conf:6:", "needs a listener");
	bad("policy-dir /tmp\nservice x {\n role connection\n", "c.conf:3:",
	    "missing '}'");
	bad("policy-dir /tmp\nservice x {\n role wizard\n}\n", "c.conf:3:", "role is");
	bad("store-shards 0\n", "c.conf:1:", "1..8");
	bad("policy-dir /tmp\npolicy-dir /tmp\n", "c.conf:2:", "duplicate 'policy-dir'");
	bad("policy-dir /tmp\nservice x {\n role auth\n binary /bin/true\n"
	    " policy missing.policy\n}\n", "c.conf:", "missing.policy");
	bad(GOOD "set tls-cert again\n", "c.conf:20:", "duplicate option");
	/* worker-uids: the default, a range, and what is refused */
	CHECK_EQ(parse(GOOD), 0);
	CHECK_EQ(c.uid_first, CONFIG_WORKER_UID_FIRST);
	CHECK_EQ(c.uid_last, CONFIG_WORKER_UID_LAST);
	CHECK_EQ(parse("worker-uids 70000-79999\n" GOOD), 0);
	CHECK(c.uid_first == 70000 && c.uid_last == 79999 && c.uid_line == 1);
	CHECK_EQ(parse("worker-uids 5-5\n" GOOD), 0);
	bad("worker-uids 0-10\n", "c.conf:1:", "FIRST must be above 0");
	bad("worker-uids 10-9\n", "c.conf:1:", "at most LAST");
	bad("worker-uids 10\n", "c.conf:1:", "FIRST-LAST");
	bad("worker-uids 10-\n", "c.conf:1:", "FIRST-LAST");
	bad("worker-uids -10\n", "c.conf:1:", "FIRST-LAST");
	bad("worker-uids 1-4294967295\n", "c.conf:1:", "FIRST-LAST");
	bad("worker-uids 1-2000000\n", "c.conf:1:", "at most 1048576 ids");
	bad("worker-uids 1-2 3\n", "c.conf:1:", "takes 1 value");
	bad("worker-uids 1-2\nworker-uids 1-2\n", "c.conf:2:", "duplicate");
	/* the admin right is the supervisor's flag: no service takes the name */
	bad("policy-dir /tmp\nservice admin {\n", "c.conf:2:",
	    "service name 'admin' is reserved");
	return check_done("test_config");
}
