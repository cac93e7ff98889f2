/*
 * log: one line format for every Cloister process.
 *
 *   <ident>[<pid>]: <level>: <message>
 *
 * cloisterd writes it to stderr with a UTC timestamp in front (foreground)
 * or as an RFC 3164 datagram over a connected /dev/log socket (daemon).
 *
 * A worker under cloisterd has its own log channel at CLOISTER_FD_LOG (and
 * fd 2): one end of a non-blocking SOCK_DGRAM socketpair. It sends only
 * "<level byte><message>" per datagram, never an identity; cloisterd caps,
 * rate-limits and scrubs what arrives and writes each line under the
 * identity it knows (log_relay), so that no worker can write a line that
 * looks like another process's. A full channel drops (and counts) the
 * line: logging never blocks a worker. Workers write with plain write(2):
 * nothing here could call socket() behind a seccomp filter.
 */
#ifndef CLOISTER_LOG_H
#define CLOISTER_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_sink {
	LOG_SINK_STDERR,   /* text lines, timestamped */
	LOG_SINK_SYSLOG,   /* datagrams to a connected /dev/log socket */
	LOG_SINK_CHANNEL,  /* a worker's own channel to cloisterd */
};

/* The longest line cloisterd takes from a worker's channel; longer ones
 * are cut and marked. */
#define LOG_RELAY_MAX 2048

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
/* cloisterd: besides the text sink, send every line to syslog too, under
 * facility (LOG_MAIL, ...), through its own connected non-blocking
 * /dev/log socket; false if there is none. On a syslog sink it only sets
 * the facility. */
bool log_syslog_also(int facility);
/* The facility of syslog lines (LOG_DAEMON unless set). */
void log_syslog_facility(int facility);
/* The fd in use (to keep across sandbox_confine), or -1. */
int log_fd(void);
enum log_sink log_sink(void);
void log_set_debug(bool on);
/* Whether fd is a worker's log channel (an unnamed SOCK_DGRAM socket):
 * a connected /dev/log socket has a named peer. */
bool log_fd_is_channel(int fd);
/* Lines a full channel made this process drop (LOG_SINK_CHANNEL). */
unsigned long log_dropped(void);

/* cloisterd: write one line that arrived on a worker's channel, under the
 * identity `who` that cloisterd knows. A first byte 1..4 is the level + 1;
 * anything else is raw text (the worker's fd 2) and logged as "stderr".
 * Control bytes (and C1 controls in UTF-8) become '?'; cut adds " [cut]". */
void log_relay(const char *who, const char *msg, size_t len, bool cut);
/* cloisterd: a line of its own about a worker, under the worker's name. */
void log_relay_note(const char *who, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Values from outside in a line (log_fmt.c). The client's address as text
 * ("-" if unknown, "unix" for a unix socket; v4-mapped v6 as v4). */
#define LOG_ADDR_MAX 64
struct sockaddr_storage;
const char *log_addr(const struct sockaddr_storage *a, char out[LOG_ADDR_MAX]);
/* s (len bytes, e.g. a user name a client sent) as one token of a
 * key=value line: as is if it holds only printable ASCII but '"', '\\'
 * and '=', else in double quotes with '"' and '\\' escaped by a backslash
 * and control bytes as \xHH; cut with "..." to fit outlen (>= 8).
 * Returns out. */
#define LOG_TOKEN_MAX 200
const char *log_token(const char *s, size_t len, char *out, size_t outlen);

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
