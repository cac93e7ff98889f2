/* httpd: /metrics connections (see httpd.h). */
#include "httpd.h"
#include "log.h"
#include "metrics.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define OUT_MAX (METRICS_MAX_BYTES + 4096)
#define ACCEPTS_PER_WAKEUP 16

void
httpd_init(struct httpd *h, const int *listen_fds, size_t n, int read_ms)
{
	memset(h, 0, sizeof(*h));
	h->read_ms = read_ms;
	if (n > HTTPD_MAX_LISTENERS)
		n = HTTPD_MAX_LISTENERS;
	memcpy(h->listen_fd, listen_fds, n * sizeof(int));
	h->nlisten = n;
	for (size_t i = 0; i < HTTPD_MAX_CONNS; i++) {
		h->conn[i].state = HC_FREE;
		h->conn[i].fd = -1;
	}
}

static void
conn_close(struct httpd_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = HC_FREE;
	buf_free(&c->out);
}

static void
respond(struct httpd *h, struct httpd_conn *c, int status,
    enum http_method m, const struct snap *s, int64_t now)
{
	bool head_only = m == HTTP_HEAD;
	buf_init(&c->out, OUT_MAX);
	int rc;
	if (status == 200) {
		struct buf body = BUF_INIT(METRICS_MAX_BYTES);
		if (metrics_render(s, &body) == 0) {
			rc = http_response(&c->out, 200, head_only,
			    METRICS_CONTENT_TYPE, body.data, body.len);
		} else {
			log_err("metrics: exposition larger than %d bytes",
			    METRICS_MAX_BYTES);
			status = 500;
			rc = -1;
		}
		buf_free(&body);
		if (rc == 0)
			goto ready;
		buf_reset(&c->out);
	}
	char msg[64];
	int len = snprintf(msg, sizeof(msg), "%d %s\n", status,
	    http_reason(status));
	(void)http_response(&c->out, status, head_only,
	    "text/plain; charset=utf-8", msg, (size_t)len);
ready:
	h->requests++;
	log_debug("metrics: %d", status);
	c->state = HC_WRITE;
	c->sent = 0;
	c->deadline_ms = now + HTTPD_WRITE_MS;
}

static void conn_write(struct httpd_conn *c, int64_t now);

static void
conn_read(struct httpd *h, struct httpd_conn *c, const struct snap *s,
    int64_t now)
{
	ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen,
	    MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {               /* gone before a whole request */
		conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	struct http_request req;
	if (http_parse(c->in, c->inlen, &req) == 0) {
		if (c->inlen < sizeof(c->in))
			return;
		req.status = 431;       /* cannot happen: the parser decides */
	}
	respond(h, c, req.status, req.method, s, now);
	conn_write(c, now);         /* usually the whole reply fits at once */
}

static void
conn_write(struct httpd_conn *c, int64_t now)
{
	while (c->sent < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->sent,
		    c->out.len - c->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->sent += (size_t)n;
	}
	/* all sent: half-close, then read what the client still sends so
	 * that closing does not reset the connection under its reply */
	buf_free(&c->out);
	shutdown(c->fd, SHUT_WR);
	c->state = HC_DRAIN;
	c->drained = 0;
	c->deadline_ms = now + HTTPD_DRAIN_MS;
}

static void
conn_drain(struct httpd_conn *c)
{
	uint8_t junk[4096];
	ssize_t n = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || (c->drained += (size_t)n) > HTTPD_DRAIN_MAX)
		conn_close(c);
}

static void
conn_deadline(struct httpd *h, struct httpd_conn *c, const struct snap *s,
    int64_t now)
{
	if (c->state == HC_FREE || now < c->deadline_ms)
		return;
	if (c->state == HC_READ)
		respond(h, c, 408, HTTP_OTHER, s, now);
	else
		conn_close(c);
}

static struct httpd_conn *
free_conn(struct httpd *h)
{
	for (size_t i = 0; i < HTTPD_MAX_CONNS; i++)
		if (h->conn[i].state == HC_FREE)
			return &h->conn[i];
	return NULL;
}

static void
accept_all(struct httpd *h, int lfd, int64_t now)
{
	for (int k = 0; k < ACCEPTS_PER_WAKEUP && free_conn(h) != NULL; k++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("metrics: accept: %s", strerror(errno));
			return;
		}
		struct httpd_conn *c = free_conn(h);
		if (c == NULL) {            /* cannot happen: not polled when full */
			close(fd);
			return;
		}
		c->fd = fd;
		c->state = HC_READ;
		c->inlen = 0;
		c->deadline_ms = now + h->read_ms;
	}
}

size_t
httpd_pollfds(struct httpd *h, struct pollfd *pfd, size_t max,
    int64_t now_ms, int *timeout_ms)
{
	/* all slots busy: new clients wait in the listen backlog until a
	 * reply or a read deadline frees one */
	short lev = free_conn(h) != NULL ? POLLIN : 0;
	size_t k = 0;
	for (size_t i = 0; i < h->nlisten && k < max; i++, k++) {
		pfd[k].fd = h->listen_fd[i];
		pfd[k].events = lev;
		pfd[k].revents = 0;
	}
	h->nslots = 0;
	for (size_t i = 0; i < HTTPD_MAX_CONNS && k < max; i++) {
		struct httpd_conn *c = &h->conn[i];
		if (c->state == HC_FREE)
			continue;
		pfd[k].fd = c->fd;
		pfd[k].events = c->state == HC_WRITE ? POLLOUT : POLLIN;
		pfd[k].revents = 0;
		k++;
		h->slot_conn[h->nslots++] = (int)i;
		int64_t left = c->deadline_ms - now_ms;
		if (left < 0)
			left = 0;
		if (*timeout_ms < 0 || left < *timeout_ms)
			*timeout_ms = (int)left;
	}
	return k;
}

void
httpd_handle(struct httpd *h, const struct pollfd *pfd, size_t n,
    int64_t now_ms, const struct snap *s)
{
	size_t nl = h->nlisten < n ? h->nlisten : n;
	for (size_t j = 0; j < h->nslots && nl + j < n; j++) {
		const struct pollfd *p = &pfd[nl + j];
		struct httpd_conn *c = &h->conn[h->slot_conn[j]];
		if (p->revents == 0 || c->fd != p->fd)
			continue;
		if (c->state == HC_READ)
			conn_read(h, c, s, now_ms);
		else if (c->state == HC_WRITE)
			conn_write(c, now_ms);
		else if (c->state == HC_DRAIN)
			conn_drain(c);
	}
	for (size_t i = 0; i < HTTPD_MAX_CONNS; i++)
		conn_deadline(h, &h->conn[i], s, now_ms);
	for (size_t i = 0; i < nl; i++)
		if (pfd[i].revents & POLLIN)
			accept_all(h, pfd[i].fd, now_ms);
}
