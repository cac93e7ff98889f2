/* buf: bounded growable buffer and overread-proof cursor (see buf.h). */
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->failed = false;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}

void
buf_free_secret(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = false;
}

int
buf_reserve(struct buf *b, size_t n)
{
	if (b->failed)
		return -1;
	if (n > b->max || b->len > b->max - n) {
		b->failed = true;
		return -1;
	}
	size_t need = b->len + n;
	/* +1 keeps room for buf_cstr()'s terminator without a realloc. */
	if (need + 1 <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 64;
	while (ncap < need + 1) {
		if (ncap > SIZE_MAX / 2) {
			b->failed = true;
			return -1;
		}
		ncap *= 2;
	}
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	uint8_t *nd = realloc(b->data, ncap);
	if (nd == NULL) {
		b->failed = true;
		return -1;
	}
	b->data = nd;
	b->cap = ncap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int
buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_append_byte(struct buf *b, uint8_t c)
{
	return buf_append(b, &c, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || buf_reserve(b, (size_t)n) < 0)
		return -1;
	/* reserve left room for n bytes plus the terminator vsnprintf writes */
	int m = vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	if (m != n) {
		b->failed = true;
		return -1;
	}
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

int
buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_append(b, &v, 1);
}

int
buf_put_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	return buf_append(b, x, sizeof(x));
}

int
buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };
	return buf_append(b, x, sizeof(x));
}

int
buf_put_u64(struct buf *b, uint64_t v)
{
	if (buf_put_u32(b, (uint32_t)(v >> 32)) < 0)
		return -1;
	return buf_put_u32(b, (uint32_t)v);
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

const char *
buf_cstr(struct buf *b)
{
	if (b->failed)
		return NULL;
	if (b->cap < b->len + 1) {
		/* only possible for an empty, never-allocated buffer */
		uint8_t *nd = realloc(b->data, b->len + 1);
		if (nd == NULL)
			return NULL;
		b->data = nd;
		b->cap = b->len + 1;
	}
	b->data[b->len] = '\0';
	return (const char *)b->data;
}

void
buf_cur_init(struct buf_cur *c, const void *p, size_t len)
{
	c->p = p;
	c->left = len;
	c->failed = false;
}

int
buf_get_bytes(struct buf_cur *c, const uint8_t **p, size_t n)
{
	if (c->failed || n > c->left) {
		c->failed = true;
		return -1;
	}
	*p = c->p;
	c->p += n;
	c->left -= n;
	return 0;
}

int
buf_get_u8(struct buf_cur *c, uint8_t *v)
{
	const uint8_t *p;
	if (buf_get_bytes(c, &p, 1) < 0)
		return -1;
	*v = p[0];
	return 0;
}

int
buf_get_u16(struct buf_cur *c, uint16_t *v)
{
	const uint8_t *p;
	if (buf_get_bytes(c, &p, 2) < 0)
		return -1;
	*v = (uint16_t)((p[0] << 8) | p[1]);
	return 0;
}

int
buf_get_u32(struct buf_cur *c, uint32_t *v)
{
	const uint8_t *p;
	if (buf_get_bytes(c, &p, 4) < 0)
		return -1;
	*v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
	return 0;
}

int
buf_get_u64(struct buf_cur *c, uint64_t *v)
{
	uint32_t hi, lo;
	if (buf_get_u32(c, &hi) < 0 || buf_get_u32(c, &lo) < 0)
		return -1;
	*v = ((uint64_t)hi << 32) | lo;
	return 0;
}

int
buf_cur_end(const struct buf_cur *c)
{
	return (c->failed || c->left != 0) ? -1 : 0;
}

int
buf_strlcpy(char *dst, size_t dstsize, const char *src, size_t srclen)
{
	if (dstsize == 0 || srclen >= dstsize) {
		if (dstsize > 0)
			dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, srclen);
	dst[srclen] = '\0';
	return 0;
}

int
buf_snprintf(char *dst, size_t dstsize, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(dst, dstsize, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= dstsize) {
		if (dstsize > 0)
			dst[0] = '\0';
		return -1;
	}
	return n;
}

int
buf_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *q = p;
	while (n > 0) {
		ssize_t w = write(fd, q, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

int
buf_read_file(struct buf *b, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		if (buf_reserve(b, 4096) < 0) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
		ssize_t n = read(fd, b->data + b->len, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	close(fd);
	return 0;
}
