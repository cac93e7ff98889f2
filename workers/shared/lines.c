/* lines: bounded line reader and batched writer (see lines.h). */
#include "lines.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
lines_reader_init(struct lines_reader *r, int fd, size_t max_line,
    size_t read_chunk)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->max_line = max_line < 16 ? 16 : max_line;
	r->read_chunk = read_chunk == 0 ? LINES_READ_CHUNK : read_chunk;
	r->cap = r->max_line + r->read_chunk;
	r->data = malloc(r->cap);
	return r->data == NULL ? -1 : 0;
}

void
lines_reader_free(struct lines_reader *r)
{
	free(r->data);
	r->data = NULL;
}

bool
lines_pending(const struct lines_reader *r)
{
	return r->end > r->start;
}

/* One read(2) into the free space (compacting first). 1 got bytes, 0 EOF,
 * -1 EAGAIN or error (errno). */
static int
fill(struct lines_reader *r)
{
	if (r->eof)
		return 0;
	if (r->start > 0 && (r->start == r->end || r->cap - r->end <
	    r->read_chunk)) {
		memmove(r->data, r->data + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap) {
		errno = ENOBUFS;
		return -1;
	}
	ssize_t n;
	do
		n = read(r->fd, r->data + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0) {
		r->eof = true;
		return 0;
	}
	r->end += (size_t)n;
	r->bytes_in += (uint64_t)n;
	return 1;
}

static enum lines_result
fill_result(struct lines_reader *r)
{
	int f = fill(r);
	if (f > 0)
		return LINES_OK;
	if (f == 0)
		return LINES_EOF;
	return errno == EAGAIN || errno == EWOULDBLOCK ? LINES_AGAIN : LINES_ERR;
}

enum lines_result
lines_read(struct lines_reader *r, const uint8_t **line, size_t *len,
    bool *bare_lf)
{
	for (;;) {
		size_t from = r->start + r->scanned;
		if (from > r->end)
			abort();   /* broken invariant: never read past end */
		uint8_t *lf = memchr(r->data + from, '\n', r->end - from);
		if (lf != NULL) {
			size_t e = (size_t)(lf - r->data);
			size_t s = r->start;
			r->start = e + 1;
			r->scanned = 0;
			if (r->skipping) {
				r->skipping = false;
				return LINES_TOO_LONG;
			}
			if (e + 1 - s > r->max_line)
				return LINES_TOO_LONG;
			*bare_lf = !(e > s && r->data[e - 1] == '\r');
			*line = r->data + s;
			*len = e - s - (*bare_lf ? 0 : 1);
			return LINES_OK;
		}
		r->scanned = r->end - r->start;
		if (r->scanned >= r->max_line) {
			/* too long already: drop what we have and skip to
			 * the line's end without keeping it */
			r->skipping = true;
			r->start = r->end;
			r->scanned = 0;
		}
		enum lines_result fr = fill_result(r);
		if (fr != LINES_OK)
			return fr;
	}
}

enum lines_result
lines_read_raw(struct lines_reader *r, size_t want, const uint8_t **p,
    size_t *len)
{
	if (r->end == r->start) {
		enum lines_result fr = fill_result(r);
		if (fr != LINES_OK)
			return fr;
	}
	size_t n = r->end - r->start;
	if (n > want)
		n = want;
	*p = r->data + r->start;
	*len = n;
	r->start += n;
	/* the bytes handed out were the first ones scanned */
	r->scanned = r->scanned > n ? r->scanned - n : 0;
	return LINES_OK;
}

int
lines_wait(const struct lines_reader *r, int timeout_ms)
{
	if (lines_pending(r) || r->eof)
		return 1;
	struct pollfd pfd = { r->fd, POLLIN, 0 };
	int n;
	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : n > 0;
}

void
lines_writer_init(struct lines_writer *w, int fd, size_t max)
{
	w->fd = fd;
	buf_init(&w->out, max);
	w->timeout_ms = 60000;
	w->bytes_out = 0;
}

void
lines_writer_free(struct lines_writer *w)
{
	buf_free(&w->out);
}

/* Write n bytes, polling while the peer is slow. Bytes written in *done. */
static int
write_all(struct lines_writer *w, const uint8_t *p, size_t n, size_t *done)
{
	size_t off = 0;
	int r = 0;
	while (off < n) {
		/* MSG_NOSIGNAL: a peer that went away is an error, not a
		 * SIGPIPE; plain write for fds that are not sockets */
		ssize_t k = send(w->fd, p + off, n - off, MSG_NOSIGNAL);
		if (k < 0 && errno == ENOTSOCK)
			k = write(w->fd, p + off, n - off);
		if (k > 0) {
			off += (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { w->fd, POLLOUT, 0 };
			int q = poll(&pfd, 1, w->timeout_ms);
			if (q > 0 || (q < 0 && errno == EINTR))
				continue;
			if (q == 0)
				errno = ETIMEDOUT;
		}
		r = -1;
		break;
	}
	w->bytes_out += off;
	*done = off;
	return r;
}

int
lines_flush(struct lines_writer *w)
{
	size_t done;
	int r = write_all(w, w->out.data, w->out.len, &done);
	buf_consume(&w->out, done);
	return r;
}

int
lines_write(struct lines_writer *w, const void *p, size_t n)
{
	if (w->out.len + n > w->out.max && lines_flush(w) < 0)
		return -1;
	if (n > w->out.max) {
		size_t done;   /* larger than the queue: write it through */
		return write_all(w, p, n, &done);
	}
	return buf_append(&w->out, p, n);
}

int
lines_printf(struct lines_writer *w, const char *fmt, ...)
{
	va_list ap;
	char tmp[1024];
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	return lines_write(w, tmp, (size_t)n);
}
