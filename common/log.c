/* log: one format, two sinks (see log.h). */
#include "log.h"
#include "buf.h"

#include <errno.h>
#include <stdarg.h>
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
static int log_also_syslog = -1;   /* a second sink: /dev/log besides text */
static int log_facility = LOG_DAEMON;

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
	/* never wait for cloisterd: a full channel costs lines, not service */
	if (sink == LOG_SINK_CHANNEL) {
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && (fl & O_NONBLOCK) == 0)
			fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	}
}

bool
log_syslog_also(int facility)
{
	log_facility = facility;
	if (log_kind == LOG_SINK_SYSLOG)
		return true;
	if (log_also_syslog < 0)
		log_also_syslog = connect_devlog();
	if (log_also_syslog < 0)
		return false;
	/* a stalled syslog drops lines rather than stop the process */
	fcntl(log_also_syslog, F_SETFL, O_NONBLOCK);
	return true;
}

void
log_syslog_facility(int facility)
{
	log_facility = facility;
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

/* Control bytes must not forge lines or drive a terminal: C0 and DEL, and
 * the C1 range as UTF-8 encodes it (C2 80..C2 9F), become '?'. */
static void
scrub(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			p[i] = '?';
		else if (c == 0xc2 && i + 1 < n &&
		    (unsigned char)p[i + 1] >= 0x80 && (unsigned char)p[i + 1] <= 0x9f)
			p[i] = p[i + 1] = '?';
	}
}

/* The header of a line for one sink: a UTC timestamp for text, "<PRI>"
 * and an RFC 3164 timestamp for syslog. */
static size_t
header(char *h, size_t size, bool syslog_sink, enum log_level lvl,
    const struct tm *tm)
{
	size_t off = 0;
	if (syslog_sink) {
		int n = snprintf(h, size, "<%d>", log_facility | level_prio[lvl]);
		off = n > 0 ? (size_t)n : 0;
		return off + strftime(h + off, size - off, "%b %e %H:%M:%S ", tm);
	}
	return strftime(h, size, "%Y-%m-%dT%H:%M:%SZ ", tm);
}

/* Header and body in one write(2): a worker's seccomp filter may allow
 * write and not writev, and one write keeps a line whole. */
static void
write_line(int fd, const char *h, size_t hlen, const char *body, size_t blen)
{
	char line[LOG_RELAY_MAX + 200 + 64];
	if (hlen > 64)
		hlen = 64;
	if (blen > sizeof(line) - hlen)
		blen = sizeof(line) - hlen;
	memcpy(line, h, hlen);
	memcpy(line + hlen, body, blen);
	ssize_t w;
	do {
		w = write(fd, line, hlen + blen);
	} while (w < 0 && errno == EINTR);
}

/* One line to the sink(s): header, "who: level: ", msg (scrubbed, cut
 * with "..." if it does not fit), suffix; text lines end in a newline,
 * datagrams do not. */
static void
emit(const char *who, enum log_level lvl, const char *lname, const char *msg,
    size_t len, const char *suffix)
{
	char line[LOG_RELAY_MAX + 200];
	size_t off = 0, room;
	struct timespec ts;
	struct tm tm;

	int n = snprintf(line, sizeof(line), "%s: %s: ", who, lname);
	if (n > 0)
		off = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	size_t slen = strlen(suffix);
	room = sizeof(line) - off - slen - 1;   /* 1: the newline */
	bool fits = len <= room;
	if (!fits)
		len = room;
	memcpy(line + off, msg, len);
	scrub(line, off + len);
	off += len;
	/* a line that does not fit is cut, and says so: logging must not fail */
	if (!fits && len >= 3)
		memcpy(line + off - 3, "...", 3);
	memcpy(line + off, suffix, slen);
	off += slen;
	line[off] = '\n';

	char h[64];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	bool to_syslog = log_kind == LOG_SINK_SYSLOG;
	write_line(log_out, h, header(h, sizeof(h), to_syslog, lvl, &tm), line,
	    to_syslog ? off : off + 1);
	if (log_also_syslog >= 0 && !to_syslog)
		write_line(log_also_syslog, h, header(h, sizeof(h), true, lvl, &tm),
		    line, off);
}

static unsigned long channel_dropped;

/* A worker: "<level + 1><message>" as one datagram, never blocking. A
 * full channel drops the line and counts it; the count is sent first once
 * there is room again. */
static void
send_channel(enum log_level lvl, const char *msg, size_t len)
{
	char d[LOG_LINE_MAX + 1];
	if (channel_dropped > 0) {
		int n = snprintf(d + 1, sizeof(d) - 1, "%lu log lines dropped:"
		    " the log channel was full", channel_dropped);
		d[0] = (char)(LOG_LVL_WARN + 1);
		if (n > 0 && write(log_out, d, (size_t)n + 1) < 0)
			goto full;
		channel_dropped = 0;
	}
	d[0] = (char)(lvl + 1);
	memcpy(d + 1, msg, len);
	if (write(log_out, d, len + 1) >= 0)
		return;
full:
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
		channel_dropped++;
}

void
log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	if (lvl == LOG_LVL_DEBUG && !log_debug_on)
		return;
	int saved = errno;
	char msg[LOG_LINE_MAX];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
	if (n >= 0 && (size_t)n >= sizeof(msg))
		memcpy(msg + len - 3, "...", 3);
	if (log_kind == LOG_SINK_CHANNEL) {
		scrub(msg, len);
		send_channel(lvl, msg, len);
	} else {
		char who[sizeof(log_ident) + 24];
		snprintf(who, sizeof(who), "%s[%ld]", log_ident, (long)getpid());
		emit(who, lvl, level_name[lvl], msg, len, "");
	}
	errno = saved;
}

void
log_relay(const char *who, const char *msg, size_t len, bool cut)
{
	const char *suffix = cut ? " [cut]" : "";
	unsigned char lv = len > 0 ? (unsigned char)msg[0] : 0;
	if (lv >= 1 && lv <= LOG_LVL_ERR + 1)
		emit(who, (enum log_level)(lv - 1), level_name[lv - 1], msg + 1,
		    len - 1, suffix);
	else
		emit(who, LOG_LVL_WARN, "stderr", msg, len, suffix);
}

void
log_relay_note(const char *who, enum log_level lvl, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(who, lvl, level_name[lvl], msg, n < 0 ? 0 :
	    (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, "");
}

bool
log_fd_is_channel(int fd)
{
	int type;
	socklen_t tl = sizeof(type);
	struct sockaddr_un peer;
	socklen_t pl = sizeof(peer);
	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 &&
	    type == SOCK_DGRAM && getpeername(fd, (struct sockaddr *)&peer,
	    &pl) == 0 && pl <= sizeof(sa_family_t);
}

unsigned long
log_dropped(void)
{
	return channel_dropped;
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
