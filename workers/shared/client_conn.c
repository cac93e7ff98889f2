/* client_conn: client socket I/O, plaintext or TLS (see client_conn.h). */
#include "client_conn.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <time.h>
#include <unistd.h>

/* one TLS record's worth per SSL_write: retries repeat exactly this */
#define TLS_CHUNK 16384

/* Written by signal handlers (client_conn.h). */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t asleep;

void
client_conn_stop(void)
{
	stop_requested = 1;
}

bool
client_conn_stop_requested(void)
{
	return stop_requested != 0;
}

enum client_sleep
client_conn_asleep(void)
{
	return (enum client_sleep)asleep;
}

void
client_conn_init(struct client_conn *c, int fd, int io_timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->io_timeout_ms = io_timeout_ms;
	buf_init(&c->out, CLIENT_CONN_OUT_MAX);
}

void
client_conn_free(struct client_conn *c)
{
	tls_conn_free(c->tls);
	c->tls = NULL;
	free(c->in);
	c->in = NULL;
	buf_free(&c->out);
}

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
client_conn_now_ms(void)
{
	return now_ms();
}

void
client_conn_set_deadline(struct client_conn *c, int64_t deadline_ms)
{
	c->deadline_ms = deadline_ms;
}

/* A wait's own deadline, cut to the connection's. */
static int64_t
cut(const struct client_conn *c, int64_t deadline)
{
	return c->deadline_ms != 0 && c->deadline_ms < deadline ?
	    c->deadline_ms : deadline;
}

/* Wait for events on the socket until deadline (ms, monotonic). 1 ready,
 * 0 timeout, -1 error. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = events };
		/* stopping: no more waiting for this client (a stop after the
		 * check finds the process asleep and ends it) */
		asleep = CLIENT_ASLEEP_OUTPUT;
		if (stop_requested) {
			asleep = CLIENT_AWAKE;
			return -1;
		}
		int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		asleep = CLIENT_AWAKE;
		if (r > 0)
			return 1;
		if ((r < 0 && errno != EINTR) || stop_requested)
			return -1;
	}
}

static int
fail(struct client_conn *c)
{
	c->failed = true;
	return -1;
}

int
client_conn_start_tls(struct client_conn *c, struct tls_server *srv,
    int timeout_ms)
{
	c->tls = tls_conn_new(srv, c->fd);
	if (c->tls == NULL)
		return fail(c);
	int64_t deadline = cut(c, now_ms() + timeout_ms);
	for (;;) {
		int r = tls_handshake(c->tls);
		if (r == 1)
			return 0;
		if (r == TLS_ERROR)
			return fail(c);
		short ev = r == TLS_WANT_READ ? POLLIN : POLLOUT;
		if (wait_fd(c->fd, ev, deadline) <= 0)
			return fail(c);
	}
}

int
client_conn_starttls(struct client_conn *c, struct tls_server *srv,
    int timeout_ms, size_t *dropped)
{
	*dropped = 0;
	if (client_conn_flush(c) < 0)
		return -1;
	/* Anything the client pipelined after STARTTLS was sent in clear
	 * and must not be taken as coming from inside TLS (CVE-2011-0411). */
	(void)client_conn_input(c, dropped);
	if (*dropped > 0)
		client_conn_drop_input(c);
	return client_conn_start_tls(c, srv, timeout_ms) < 0 ? -2 : 0;
}

const uint8_t *
client_conn_input(const struct client_conn *c, size_t *len)
{
	*len = c->in_len - c->in_off;
	return c->in != NULL ? c->in + c->in_off : NULL;
}

void
client_conn_consume(struct client_conn *c, size_t n)
{
	c->in_off += n;
	if (c->in_off >= c->in_len)
		c->in_off = c->in_len = 0;
}

void
client_conn_drop_input(struct client_conn *c)
{
	c->in_off = c->in_len = 0;
}

void
client_conn_release(struct client_conn *c)
{
	if (c->in_off == c->in_len) {
		free(c->in);
		c->in = NULL;
		c->in_off = c->in_len = 0;
	}
	if (c->out.len == 0 && c->out.cap > 4096)
		buf_free(&c->out);
}

/* One read attempt into the free space. >0 bytes, 0 EOF, -1 error,
 * -2 would block (then *want says POLLIN or POLLOUT). */
static ssize_t
read_some(struct client_conn *c, short *want)
{
	if (c->in == NULL) {
		c->in = malloc(CLIENT_CONN_IN_SIZE);
		if (c->in == NULL)
			return -1;
	}
	if (c->in_off > 0 && c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	if (c->in_len == CLIENT_CONN_IN_SIZE) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	uint8_t *dst = c->in + c->in_len;
	size_t room = CLIENT_CONN_IN_SIZE - c->in_len;
	ssize_t n;
	*want = POLLIN;
	if (c->tls != NULL) {
		n = tls_read(c->tls, dst, room);
		if (n == TLS_WANT_READ || n == TLS_WANT_WRITE) {
			*want = n == TLS_WANT_WRITE ? POLLOUT : POLLIN;
			return -2;
		}
		if (n < 0)
			return -1;
	} else {
		n = read(c->fd, dst, room);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return -2;
		if (n < 0)
			return errno == ECONNRESET ? 0 : -1;
	}
	if (n > 0) {
		c->in_len += (size_t)n;
		c->bytes_in += (uint64_t)n;
	}
	return n;
}

enum client_wait
client_conn_wait(struct client_conn *c, int extra_fd, int timeout_ms)
{
	if (c->failed)
		return CLIENT_WAIT_CLOSED;
	if (stop_requested) {
		c->stopped = true;
		return CLIENT_WAIT_CLOSED;
	}
	if (c->in_len > c->in_off)
		return CLIENT_WAIT_INPUT;
	/* checked before reading: a client that keeps sending must not
	 * outlive the deadline ("input beats the timeout" below) */
	if (c->deadline_ms != 0 && now_ms() >= c->deadline_ms)
		return CLIENT_WAIT_TIMEOUT;
	int64_t deadline = cut(c, timeout_ms < 0 ? INT64_MAX :
	    now_ms() + timeout_ms);
	/* Read first only if bytes may already sit inside OpenSSL; otherwise
	 * poll first: an idler then sleeps without a read() that would say
	 * EAGAIN (every system call refills the TLB on a PTI kernel). */
	bool try_read = c->tls != NULL && tls_has_pending(c->tls);
	short want = POLLIN;
	for (;;) {
		if (try_read) {
			want = POLLIN;
			ssize_t n = read_some(c, &want);
			if (n > 0)
				return CLIENT_WAIT_INPUT;
			if (n == 0 || n == -1) {
				c->eof = n == 0;
				c->failed = true;
				return CLIENT_WAIT_CLOSED;
			}
		}
		try_read = true;
		struct pollfd p[2] = { { .fd = c->fd, .events = want },
			{ .fd = extra_fd, .events = POLLIN } };
		int64_t left = deadline == INT64_MAX ? -1 : deadline - now_ms();
		if (deadline != INT64_MAX && left < 0)
			left = 0;   /* still look once: input beats the timeout */
		int ms = left < 0 || left > INT32_MAX ? -1 : (int)left;
		/* asleep first, then the check: a stop that comes before the
		 * flag is seen here, one after it finds the process asleep */
		asleep = CLIENT_ASLEEP_INPUT;
		if (stop_requested) {
			asleep = CLIENT_AWAKE;
			c->stopped = true;
			return CLIENT_WAIT_CLOSED;
		}
		int r = poll(p, extra_fd >= 0 ? 2 : 1, ms);
		asleep = CLIENT_AWAKE;
		if (r < 0 && errno == EINTR && stop_requested) {
			c->stopped = true;
			return CLIENT_WAIT_CLOSED;
		}
		if (r < 0 && errno != EINTR) {
			c->failed = true;
			return CLIENT_WAIT_CLOSED;
		}
		if (r == 0)
			return CLIENT_WAIT_TIMEOUT;
		if (r > 0 && extra_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP)))
			return CLIENT_WAIT_EXTRA;
		if (r > 0 && (p[0].revents & (POLLERR | POLLNVAL)) &&
		    !(p[0].revents & POLLIN)) {
			c->failed = true;
			return CLIENT_WAIT_CLOSED;
		}
	}
}

void
client_conn_say_last(struct client_conn *c, const char *line, size_t len)
{
	if (c->failed || c->out.len > 0 || c->tls_retry != 0)
		return;     /* mid-response: a line now would corrupt it */
	ssize_t n = c->tls != NULL ? tls_write(c->tls, line, len) :
	    write(c->fd, line, len);
	if (n > 0)
		c->bytes_out += (uint64_t)n;
}

/* Write from p (len bytes), waiting for the socket; the whole buffer or -1. */
static int
write_all(struct client_conn *c, const uint8_t *p, size_t len)
{
	int64_t deadline = cut(c, now_ms() + c->io_timeout_ms);
	size_t off = 0;
	while (off < len) {
		ssize_t n;
		short want = POLLOUT;
		if (c->tls != NULL) {
			size_t chunk = c->tls_retry ? c->tls_retry :
			    (len - off < TLS_CHUNK ? len - off : TLS_CHUNK);
			n = tls_write(c->tls, p + off, chunk);
			if (n == TLS_WANT_READ || n == TLS_WANT_WRITE) {
				c->tls_retry = chunk;
				want = n == TLS_WANT_READ ? POLLIN : POLLOUT;
				n = -2;
			} else {
				c->tls_retry = 0;
			}
		} else {
			n = write(c->fd, p + off, len - off);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				n = -2;
		}
		if (n > 0) {
			off += (size_t)n;
			c->bytes_out += (uint64_t)n;
			continue;
		}
		if (n != -2)
			return fail(c);
		if (wait_fd(c->fd, want, deadline) <= 0)
			return fail(c);
	}
	return 0;
}

int
client_conn_flush(struct client_conn *c)
{
	if (c->failed)
		return -1;
	if (c->out.failed)
		return fail(c);     /* an item overflowed the hard limit */
	if (c->out.len == 0)
		return 0;
	int r = write_all(c, c->out.data, c->out.len);
	buf_reset(&c->out);
	return r;
}

int
client_conn_maybe_flush(struct client_conn *c)
{
	return c->out.len >= CLIENT_CONN_OUT_SOFT ? client_conn_flush(c) :
	    (c->failed ? -1 : 0);
}

int
client_conn_maybe_flush_bulk(struct client_conn *c)
{
	return c->out.len >= CLIENT_CONN_OUT_BULK ? client_conn_flush(c) :
	    (c->failed ? -1 : 0);
}

int
client_conn_send_file(struct client_conn *c, int fd, off_t off, uint64_t len)
{
	if (client_conn_flush(c) < 0)
		return -1;
	int64_t deadline = cut(c, now_ms() + c->io_timeout_ms);
	while (len > 0) {
		size_t chunk = len > (1u << 30) ? (1u << 30) : (size_t)len;
		ssize_t n;
		short want = POLLOUT;
		if (c->tls != NULL) {
			n = tls_sendfile(c->tls, fd, off, chunk);
			if (n == TLS_WANT_READ || n == TLS_WANT_WRITE) {
				want = n == TLS_WANT_READ ? POLLIN : POLLOUT;
				n = -2;
			}
		} else {
			n = sendfile(c->fd, fd, &off, chunk);
			if (n > 0)
				off -= n;   /* advanced below, like the TLS path */
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				n = -2;
		}
		if (n > 0) {
			off += n;
			len -= (uint64_t)n;
			c->bytes_out += (uint64_t)n;
			deadline = cut(c, now_ms() + c->io_timeout_ms);
			continue;
		}
		if (n == 0) {
			log_warn("message body shorter than the store said");
			return fail(c);
		}
		if (n != -2)
			return fail(c);
		if (wait_fd(c->fd, want, deadline) <= 0)
			return fail(c);
	}
	return 0;
}
