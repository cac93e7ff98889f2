/*
 * log: one line format for every Cloister process.
 *
 *   <ident>[<pid>]: <level>: <message>
 *
 * In the foreground the line goes to stderr with a UTC timestamp in front;
 * otherwise it goes as an RFC 3164 datagram over an already connected
 * /dev/log socket. Confined workers cannot open sockets, so the supervisor
 * hands them the log socket at a fixed fd and log_open_fd() writes to it
 * with plain write(2): there is no reconnect logic that could call socket()
 * behind a seccomp filter.
 */
#ifndef CLOISTER_LOG_H
#define CLOISTER_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_sink {
	LOG_SINK_STDERR,   /* text lines, timestamped */
	LOG_SINK_SYSLOG,   /* datagrams to a connected /dev/log socket */
};

enum log_level {
	LOG_LVL_DEBUG,
	LOG_LVL_INFO,
	LOG_LVL_WARN,
	LOG_LVL_ERR,
};

/* Log to stderr (foreground) or open and connect /dev/log (daemon). */
void log_open(const char *ident, bool foreground);
/* Log to an fd this process was given (a worker); sink says its kind. */
void log_open_fd(const char *ident, int fd, enum log_sink sink);
/* The fd in use (to keep across sandbox_confine), or -1. */
int log_fd(void);
enum log_sink log_sink(void);
void log_set_debug(bool on);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)

/* Log at error level and _exit(1): the crash-only way out. */
void log_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* As log_fatal, appending ": strerror(errno)". */
void log_fatal_errno(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
