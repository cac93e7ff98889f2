/* imap_cmd_idle: IDLE (RFC 2177 / RFC 9051 6.3.13). The session sleeps on
 * two fds — the client and the store channel — and turns each store
 * notification for the selected mailbox into EXISTS / EXPUNGE / FETCH at
 * once. An idling process holds no buffers it does not need. */
#include "imap_commands.h"
#include "log.h"

#include <string.h>
#include <time.h>
#include <unistd.h>
#include <strings.h>

/* Apply queued notifications: EXISTS of pure appends goes out at once;
 * other changes get a sync right after. -1 if the client or the store is
 * gone. */
static int
drain(struct imap_session *s)
{
	struct store_notify n;
	bool need_sync = false;
	while (store_client_next_notify(s->sc, &n) == 1)
		if (imap_view_notify(s, &n))
			need_sync = true;
	if (client_conn_flush(&s->conn) < 0)
		return -1;
	if (!need_sync)
		return 0;
	if (imap_store_fatal(imap_view_sync(s, true)))
		return -1;
	return client_conn_flush(&s->conn);
}

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* After an append was announced, the UIDs are loaded later — at DONE, at
 * the next change that needs a sync, or 30-60 s on, at a moment that
 * differs per process: a delivery to thousands of idlers must not turn
 * into thousands of store queries while the EXISTS lines are still going
 * out (with 2,500 idlers a 1-2 s window cost a quarter of the p99). */
#define LAZY_SYNC_MS 30000

int
imap_cmd_idle(struct imap_session *s, struct imap_cmd *c)
{
	char tag[sizeof(c->tag)];
	memcpy(tag, c->tag, sizeof(tag));
	if (s->view != NULL && s->view->stale) {
		int rc = imap_view_sync(s, true);
		if (imap_store_fatal(rc))
			return -1;
	}
	buf_append_str(imap_out_buf(s), "+ idling\r\n");
	if (drain(s) < 0 || client_conn_flush(&s->conn) < 0)
		return -1;
	imap_reader_next(&s->rd);
	int store_fd = s->view != NULL ? store_client_fd(s->sc) : -1;
	int64_t idle_end = now_ms() + (int64_t)s->opt->idle_timeout_s * 1000;
	int64_t lazy_at = -1;
	/* spreads the lazy syncs of many idlers; read once, not at every
	 * wake-up (getpid is a system call) */
	int64_t spread = getpid() % LAZY_SYNC_MS;
	for (;;) {
		client_conn_release(&s->conn);
		if (lazy_at < 0 && s->view != NULL && s->view->stale)
			lazy_at = now_ms() + LAZY_SYNC_MS + spread;
		int64_t until = lazy_at >= 0 && lazy_at < idle_end ? lazy_at :
		    idle_end;
		int64_t left = until - now_ms();
		enum client_wait w = client_conn_wait(&s->conn, store_fd,
		    left > 0 ? (int)left : 0);
		if (w == CLIENT_WAIT_TIMEOUT && lazy_at >= 0 && now_ms() >= lazy_at) {
			lazy_at = -1;
			if (s->view != NULL && s->view->stale &&
			    (imap_store_fatal(imap_view_sync(s, true)) ||
			    client_conn_flush(&s->conn) < 0))
				return -1;
			continue;
		}
		if (w == CLIENT_WAIT_TIMEOUT) {
			imap_untagged(s, "BYE Autologout; idle for too long");
			s->bye_sent = true;
			s->end_reason = "idle-timeout";
			return -1;
		}
		if (w == CLIENT_WAIT_CLOSED)
			return -1;
		if (w == CLIENT_WAIT_EXTRA) {
			if (store_client_read_notify(s->sc) < 0 || drain(s) < 0)
				return -1;
			if (s->view == NULL || !s->view->stale)
				lazy_at = -1;
			continue;
		}
		size_t avail, used;
		const uint8_t *in = client_conn_input(&s->conn, &avail);
		enum imap_rd_event ev = imap_reader_feed(&s->rd, in, avail, &used);
		client_conn_consume(&s->conn, used);
		if (ev == RD_MORE)
			continue;
		memcpy(c->tag, tag, sizeof(tag));
		if (ev != RD_COMMAND) {
			imap_tagged(s, "BAD", NULL, "Expected DONE");
			return ev == RD_FATAL ? -1 : 0;
		}
		size_t len;
		const char *t = (const char *)imap_reader_text(&s->rd, &len);
		while (len > 0 && (t[len - 1] == '\n' || t[len - 1] == '\r'))
			len--;
		if (len == 4 && strncasecmp(t, "DONE", 4) == 0)
			imap_tagged(s, "OK", NULL, "IDLE terminated");
		else
			imap_tagged(s, "BAD", NULL, "Expected DONE");
		return 0;
	}
}
