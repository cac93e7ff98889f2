/* log: one format, two sinks (see log.h). */
#include "log.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 1024

static char log_ident[32] = "cloister";
static int log_out = 2;
static enum log_sink log_kind = LOG_SINK_STDERR;
static bool log_debug_on;

static const char *const level_name[] = {
	[LOG_LVL_DEBUG] = "debug",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_WARN] = "warning",
	[LOG_LVL_ERR] = "error",
};

static const int level_prio[] = {
	[LOG_LVL_DEBUG] = LOG_DEBUG,
	[LOG_LVL_INFO] = LOG_INFO,
	[LOG_LVL_WARN] = LOG_WARNING,
	[LOG_LVL_ERR] = LOG_ERR,
};

static void
set_ident(const char *ident)
{
	/* load the time zone now: strftime would open /etc/localtime on the
	 * first log line, which may come after the process confined itself */
	tzset();
	size_t n = strnlen(ident, sizeof(log_ident) - 1);
	memcpy(log_ident, ident, n);
	log_ident[n] = '\0';
}

static int
connect_devlog(void)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	memcpy(sun.sun_path, "/dev/log", sizeof("/dev/log"));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void
log_open(const char *ident, bool foreground)
{
	set_ident(ident);
	log_out = 2;
	log_kind = LOG_SINK_STDERR;
	if (!foreground) {
		int fd = connect_devlog();
		if (fd >= 0) {
			log_out = fd;
			log_kind = LOG_SINK_SYSLOG;
		}
	}
}

void
log_open_fd(const char *ident, int fd, enum log_sink sink)
{
	set_ident(ident);
	log_out = fd;
	log_kind = sink;
}

int
log_fd(void)
{
	return log_out;
}

enum log_sink
log_sink(void)
{
	return log_kind;
}

void
log_set_debug(bool on)
{
	log_debug_on = on;
}

void
log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	if (lvl == LOG_LVL_DEBUG && !log_debug_on)
		return;
	int saved = errno;
	char line[LOG_LINE_MAX];
	size_t off = 0;
	int n;
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (log_kind == LOG_SINK_SYSLOG) {
		/* RFC 3164: <PRI>Mmm dd hh:mm:ss ident[pid]: ... */
		n = snprintf(line, sizeof(line), "<%d>", LOG_DAEMON | level_prio[lvl]);
		off = n > 0 ? (size_t)n : 0;
		off += strftime(line + off, sizeof(line) - off, "%b %e %H:%M:%S ", &tm);
	} else {
		off += strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	n = snprintf(line + off, sizeof(line) - off, "%s[%ld]: %s: ", log_ident,
	    (long)getpid(), level_name[lvl]);
	if (n > 0)
		off += (size_t)n < sizeof(line) - off ? (size_t)n : sizeof(line) - off - 1;
	n = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
	if (n > 0)
		off += (size_t)n < sizeof(line) - off ? (size_t)n : sizeof(line) - off - 1;
	/* A line that does not fit is cut, and says so: logging must not fail. */
	if (n >= 0 && (size_t)n >= sizeof(line) - off && off > 4)
		memcpy(line + off - 3, "...", 3);
	/* Control bytes from peers must not forge log lines. */
	for (size_t i = 0; i < off; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
			line[i] = '?';
	if (log_kind == LOG_SINK_STDERR && off < sizeof(line))
		line[off++] = '\n';
	ssize_t w;
	do {
		w = write(log_out, line, off);
	} while (w < 0 && errno == EINTR);
	errno = saved;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	_exit(1);
}

void
log_fatal_errno(const char *fmt, ...)
{
	int e = errno;
	char msg[LOG_LINE_MAX / 2];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)n;
	log_msg(LOG_LVL_ERR, "%s: %s", msg, strerror(e));
	_exit(1);
}
