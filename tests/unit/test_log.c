/* Unit tests for common/log: one format on both sinks, control bytes
 * scrubbed, long lines cut with a marker rather than overflowing. */
#include "check.h"
#include "log.h"

#include <string.h>
#include <sys/socket.h>
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
	char line[2048];

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
	CHECK(n > 0 && n <= 1024);
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
	return check_done("test_log");
}
