/*
 * imap_prelogin: what an unauthenticated connection may cost, and lifting
 * it at login. Before login:
 *   - one absolute deadline (prelogin-timeout from the moment the session
 *     starts, TLS handshake and STARTTLS included) cuts every wait, so a
 *     client that sends a byte now and then cannot hold the process;
 *   - the reader's pre-login limits (imap_reader.h): short lines, no spool,
 *     no continuation but for LOGIN's small literals; a small parser arena;
 *   - the kernel may queue little for us: a fixed receive buffer (no
 *     autotuning a fast sender could grow to megabytes and then leave
 *     unread) and TCP_NOTSENT_LOWAT on what we send.
 */
#include "imap_session.h"
#include "log.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* What parsing one pre-login command may allocate (LOGIN's two strings
 * need a little over IMAP_PRELOGIN_COMMAND_MAX). */
#define PRELOGIN_ARENA_MAX (64 * 1024)
/* The kernel doubles SO_RCVBUF for its bookkeeping: 32 KiB of queue. */
#define PRELOGIN_RCVBUF (16 * 1024)
#define PRELOGIN_NOTSENT_LOWAT (8 * 1024)
/* After login: as large a receive buffer as the system allows
 * (net.core.rmem_max caps it) for APPEND uploads. */
#define LOGGED_IN_RCVBUF (4 * 1024 * 1024)

void
imap_prelogin_begin(struct imap_session *s)
{
	imap_reader_set_prelogin(&s->rd, true);
	s->arena.max = PRELOGIN_ARENA_MAX;
	client_conn_set_deadline(&s->conn, client_conn_now_ms() +
	    (int64_t)s->opt->prelogin_timeout_s * 1000);
	int v = PRELOGIN_RCVBUF;
	(void)setsockopt(s->conn.fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	v = PRELOGIN_NOTSENT_LOWAT;
	(void)setsockopt(s->conn.fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &v,
	    sizeof(v));
}

void
imap_prelogin_end(struct imap_session *s)
{
	imap_reader_set_prelogin(&s->rd, false);
	s->arena.max = IMAP_ARENA_MAX(&s->opt->lim);
	client_conn_set_deadline(&s->conn, 0);
	int v = LOGGED_IN_RCVBUF;
	(void)setsockopt(s->conn.fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	v = 0;   /* back to net.ipv4.tcp_notsent_lowat */
	(void)setsockopt(s->conn.fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &v,
	    sizeof(v));
}
