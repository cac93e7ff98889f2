/* Unit tests for common/log: one format on both sinks, control bytes
 * scrubbed, long lines cut with a marker rather than overflowing; a
 * worker's channel sink sends level + message only, never blocks, counts
 * what a full channel drops; the supervisor's relay writes a line under
 * the identity it is given. */
#include "check.h"
#include "log.h"

#include <fcntl.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static ssize_t
grab(int fd, char *out, size_t size)
{
	ssize_t n = read(fd, out, size - 1);
	out[n > 0 ? n : 0] = '\0';
	return n;
}

int
main(void)
{
	int p[2];
	char line[4096];

	CHECK_EQ(pipe(p), 0);
	log_open_fd("cloister-test", p[1], LOG_SINK_STDERR);
	log_info("hello %d", 42);
	CHECK(grab(p[0], line, sizeof(line)) > 0);
	CHECK(strstr(line, "cloister-test[") != NULL);
	CHECK(strstr(line, "]: info: hello 42\n") != NULL);
	CHECK(line[4] == '-' && line[10] == 'T');      /* ISO timestamp first */

	log_warn("evil\nFORGED line\r");
	grab(p[0], line, sizeof(line));
	CHECK(strstr(line, "evil?FORGED line?\n") != NULL);
	CHECK(strchr(line, '\n') == line + strlen(line) - 1);

	log_debug("hidden");
	log_set_debug(true);
	log_debug("shown");
	grab(p[0], line, sizeof(line));
	CHECK(strstr(line, "hidden") == NULL);
	CHECK(strstr(line, "debug: shown") != NULL);

	char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_err("%s", big);
	ssize_t n = grab(p[0], line, sizeof(line));
	CHECK(n > 0 && n <= 1024 + 128);   /* the message, and the header */
	CHECK(strstr(line, "...\n") != NULL);

	/* syslog sink: one datagram, <PRI> first, same body */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	log_open_fd("cloister-test", sv[0], LOG_SINK_SYSLOG);
	log_err("to syslog");
	grab(sv[1], line, sizeof(line));
	CHECK(strncmp(line, "<27>", 4) == 0);          /* LOG_DAEMON|LOG_ERR */
	CHECK(strstr(line, "cloister-test[") != NULL);
	CHECK(strstr(line, "]: error: to syslog") != NULL);
	CHECK(strchr(line, '\n') == NULL);
	log_syslog_facility(LOG_MAIL);                  /* log-syslog mail */
	log_err("to mail");
	grab(sv[1], line, sizeof(line));
	CHECK(strncmp(line, "<19>", 4) == 0);          /* LOG_MAIL|LOG_ERR */
	log_syslog_facility(LOG_DAEMON);

	/* channel sink: "<level+1><message>", no identity, no timestamp */
	int ch[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, ch), 0);
	CHECK(log_fd_is_channel(ch[0]));
	CHECK(!log_fd_is_channel(p[1]));
	log_open_fd("cloister-test", ch[0], LOG_SINK_CHANNEL);
	CHECK((fcntl(ch[0], F_GETFL) & O_NONBLOCK) != 0);   /* made so */
	log_warn("a\nb");
	n = grab(ch[1], line, sizeof(line));
	CHECK(n == 4 && line[0] == LOG_LVL_WARN + 1 && strcmp(line + 1, "a?b") == 0);
	/* nobody reads: it fills, and logging returns at once, counting */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 5000; i++)
		log_info("filler %d", i);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 5);
	unsigned long dropped = log_dropped();
	CHECK(dropped > 0);
	while (recv(ch[1], line, sizeof(line), MSG_DONTWAIT) > 0)
		;
	log_info("after");
	n = grab(ch[1], line, sizeof(line));
	CHECK(n > 0 && strstr(line + 1, " log lines dropped") != NULL);
	CHECK(strtoul(line + 1, NULL, 10) == dropped && log_dropped() == 0);
	n = grab(ch[1], line, sizeof(line));
	CHECK(n == 6 && strcmp(line + 1, "after") == 0);

	/* relay: the identity is the supervisor's; level byte or "stderr";
	 * control bytes and UTF-8 C1 controls scrubbed; cut marked */
	log_open_fd("cloisterd", p[1], LOG_SINK_STDERR);
	static const char evil[] = "\x03" "authd[1]: error: x\x1b[2J\xc2\x9b";
	log_relay("imapd/7[99]", evil, sizeof(evil) - 1, false);
	grab(p[0], line, sizeof(line));
	CHECK(strstr(line, "Z imapd/7[99]: warning: authd[1]: error: x?[2J??\n") != NULL);
	log_relay("imapd/7[99]", "raw", 3, true);
	grab(p[0], line, sizeof(line));
	CHECK(strstr(line, "Z imapd/7[99]: stderr: raw [cut]\n") != NULL);
	char huge[LOG_RELAY_MAX];
	memset(huge, 'z', sizeof(huge));
	huge[0] = LOG_LVL_INFO + 1;
	log_relay("w/1[2]", huge, sizeof(huge), true);
	n = grab(p[0], line, sizeof(line) < 4000 ? sizeof(line) : 4000);
	CHECK(n > LOG_RELAY_MAX && strstr(line, "zzz [cut]\n") != NULL);

	/* tokens: bare when safe, else quoted and escaped, cut visibly */
	char tok[LOG_TOKEN_MAX];
	CHECK(strcmp(log_token("alice@example.org", 17, tok, sizeof(tok)),
	    "alice@example.org") == 0);
	CHECK(strcmp(log_token("a b\"\\\r\n\x1b=", 9, tok, sizeof(tok)),
	    "\"a b\\\"\\\\\\x0d\\x0a\\x1b=\"") == 0);
	CHECK(strcmp(log_token("", 0, tok, sizeof(tok)), "\"\"") == 0);
	CHECK(strcmp(log_token("abcdefghijkl", 12, tok, 12), "\"abc...\"") == 0);
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
	v6.sin6_addr.s6_addr[10] = v6.sin6_addr.s6_addr[11] = 0xff;
	v6.sin6_addr.s6_addr[12] = 192;
	v6.sin6_addr.s6_addr[15] = 1;
	struct sockaddr_storage ss;
	memcpy(&ss, &v6, sizeof(v6));
	char addr[LOG_ADDR_MAX];
	CHECK(strcmp(log_addr(&ss, addr), "192.0.0.1") == 0);   /* v4-mapped */
	CHECK(strcmp(log_addr(NULL, addr), "-") == 0);
	return check_done("test_log");
}
