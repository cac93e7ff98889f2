/* imap_log: the lines an operator greps for, about one session — each
 * "EVENT: user=U client=ADDR ..." with values from the client made into
 * single tokens (log_token), and the one line at its end:
 *   session end: user=alice client=127.0.0.1 port=40522 reason=logout
 *     duration=1.250s in=231 out=1604 auth_failures=0
 * ("user=-" before login). reason is logout, closed (the client hung up),
 * prelogin-timeout, idle-timeout, bad-commands, protocol-error,
 * tls-handshake, store-unavailable, auth-unavailable, shutdown (SIGTERM:
 * cloisterd stopping, or cloisterctl kick) or error; cloisterd itself writes the line of a
 * client it closed for max-prelogin (reason=kicked). A client that hung
 * up without sending a byte (a port check) is a debug line. */
#include "imap_session.h"
#include "log.h"
#include "session_log.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static unsigned
peer_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	if (a->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return 0;
}

void
imap_log(struct imap_session *s, enum log_level lvl, const char *event,
    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	session_vlog(lvl, event, s->user, &s->peer, s->peerlen, fmt, ap);
	va_end(ap);
}

static const char *
end_reason(const struct imap_session *s)
{
	if (s->state == IMAP_ST_LOGOUT)
		return "logout";
	if (s->end_reason != NULL)
		return s->end_reason;
	if (s->conn.eof)
		return "closed";
	return "error";
}

void
imap_log_end(struct imap_session *s)
{
	const char *why = end_reason(s);
	int64_t ms = client_conn_now_ms() - s->started_ms;
	if (ms < 0)
		ms = 0;
	/* gone before a byte (our greeting may not even have reached it) */
	bool port_check = s->conn.bytes_in == 0 && (strcmp(why, "closed") == 0 ||
	    strcmp(why, "error") == 0 || (strcmp(why, "tls-handshake") == 0 &&
	    tls_client_silent(s->conn.tls)));
	imap_log(s, port_check ? LOG_LVL_DEBUG : LOG_LVL_INFO, "session end",
	    "port=%u reason=%s duration=%lld.%03llds in=%llu out=%llu"
	    " auth_failures=%u", peer_port(&s->peer), why, (long long)(ms / 1000),
	    (long long)(ms % 1000), (unsigned long long)s->conn.bytes_in,
	    (unsigned long long)s->conn.bytes_out, s->failed_auths);
}

/* The session SIGTERM interrupts: cloisterd stopping, or an administrator
 * kicking the user (cloisterctl kick). The client hears why, as from
 * Dovecot and Cyrus: "* BYE" between two responses. A session asleep
 * waiting for its client (most are) says it and ends right here: its line
 * is written from the handler (snprintf of strings and integers, a write),
 * and nothing of the TLS or allocator state is in use while it sleeps. One
 * blocked mid-response ends without a word. A busy one is told to stop
 * (client_conn_stop): it ends at its next wait, saying BYE if that falls
 * between responses (imap_session_run). A second SIGTERM ends any session
 * at once. */
static struct imap_session *volatile term_session;

static void
on_term(int sig)
{
	(void)sig;
	struct imap_session *s = term_session;
	if (s == NULL)
		_exit(0);
	s->end_reason = "shutdown";
	enum client_sleep at = client_conn_asleep();
	if (at == CLIENT_AWAKE && !client_conn_stop_requested()) {
		client_conn_stop();
		return;
	}
	if (at == CLIENT_ASLEEP_INPUT)
		client_conn_say_last(&s->conn, IMAP_BYE_SHUTDOWN "\r\n",
		    sizeof(IMAP_BYE_SHUTDOWN "\r\n") - 1);
	imap_log_end(s);
	_exit(0);
}

void
imap_log_catch_term(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
}

void
imap_log_session(struct imap_session *s)
{
	term_session = s;
}
