/*
 * buf: the one growable byte buffer and the one read cursor of Cloister.
 *
 * Every length is explicit; every buffer has a hard maximum set at init, and
 * an operation that would pass it fails (returns -1 and marks the buffer) —
 * nothing is ever silently truncated. A cursor reads from borrowed bytes and
 * fails on short data; buf_cur_end() fails on bytes left over.
 */
#ifndef CLOISTER_BUF_H
#define CLOISTER_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t len;   /* bytes in use */
	size_t cap;   /* bytes allocated */
	size_t max;   /* hard limit on len */
	bool failed;  /* sticky: an operation hit max or allocation failed */
};

#define BUF_INIT(maxbytes) { NULL, 0, 0, (maxbytes), false }

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
/* Wipes the bytes in use (explicit_bzero) before freeing: for secrets. */
void buf_free_secret(struct buf *b);
void buf_reset(struct buf *b);

/* Make room for n more bytes; -1 past max or on allocation failure. */
int buf_reserve(struct buf *b, size_t n);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);
int buf_append_byte(struct buf *b, uint8_t c);
/* printf into the buffer; -1 (and nothing appended) if it does not fit. */
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u16(struct buf *b, uint16_t v);   /* big-endian */
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
/* Drop the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);
/* NUL-terminate without counting the NUL in len; NULL on failure. */
const char *buf_cstr(struct buf *b);

/* A read cursor over borrowed bytes. Errors are sticky. */
struct buf_cur {
	const uint8_t *p;
	size_t left;
	bool failed;
};

void buf_cur_init(struct buf_cur *c, const void *p, size_t len);
int buf_get_u8(struct buf_cur *c, uint8_t *v);
int buf_get_u16(struct buf_cur *c, uint16_t *v);
int buf_get_u32(struct buf_cur *c, uint32_t *v);
int buf_get_u64(struct buf_cur *c, uint64_t *v);
/* Borrow n bytes from the cursor (no copy). */
int buf_get_bytes(struct buf_cur *c, const uint8_t **p, size_t n);
/* 0 only if nothing failed and nothing is left over. */
int buf_cur_end(const struct buf_cur *c);

/* Append a whole file (up to the buffer's max); -1 with errno set
 * (EFBIG if it does not fit). */
int buf_read_file(struct buf *b, const char *path);
/* Write all n bytes of p to fd, a write cut short or interrupted (EINTR)
 * resumed; 0, or -1 (errno set, or a write that took nothing). */
int buf_write_all(int fd, const void *p, size_t n);

/* Bounded string copy: -1 if src (srclen bytes) does not fit with its NUL. */
int buf_strlcpy(char *dst, size_t dstsize, const char *src, size_t srclen);
/* snprintf that fails (-1) instead of truncating. */
int buf_snprintf(char *dst, size_t dstsize, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
