/*
 * lines: the line reader and batched writer of the text protocols (LMTP,
 * IMAP). The reader takes bytes from a (non-blocking) fd into one bounded
 * buffer and hands out lines without copying; a line longer than the limit
 * is skipped to its end without being kept (bounded memory) and reported
 * once as LINES_TOO_LONG. Lines end in CRLF; a bare LF also ends one and is
 * flagged so the protocol can refuse it. Raw reads (literals, BDAT chunks,
 * DATA) share the same buffer. The writer collects replies and is flushed
 * once per batch of pipelined commands (lines_pending() says whether more
 * input is already buffered).
 */
#ifndef CLOISTER_LINES_H
#define CLOISTER_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum lines_result {
	LINES_OK,
	LINES_AGAIN,      /* nothing complete buffered, the fd has no more now */
	LINES_EOF,        /* the peer closed (a partial last line is dropped) */
	LINES_TOO_LONG,   /* a line past the limit was skipped */
	LINES_ERR,        /* read error (errno) */
};

struct lines_reader {
	int fd;
	size_t max_line;     /* longest line, terminator included */
	uint8_t *data;       /* max_line + read_chunk bytes */
	size_t cap;
	size_t read_chunk;   /* free space that makes a read worth it */
	size_t start, end;   /* unconsumed bytes: data[start, end) */
	/* data[start, start + scanned) holds no LF. Kept relative to start
	 * so that it survives compaction and raw reads, which move start
	 * (an absolute scan position went below zero after a raw read
	 * larger than the buffer: a read before the buffer). */
	size_t scanned;
	bool skipping;       /* inside a too-long line */
	bool eof;
	uint64_t bytes_in;
};

#define LINES_READ_CHUNK 16384

/* read_chunk: bytes per read beyond one line (0: LINES_READ_CHUNK; the
 * tests and fuzz targets make it small so that input crosses many reads).
 * -1 on allocation failure. */
int lines_reader_init(struct lines_reader *r, int fd, size_t max_line,
    size_t read_chunk);
void lines_reader_free(struct lines_reader *r);

/* The next line, without its CRLF/LF; valid until the next call. */
enum lines_result lines_read(struct lines_reader *r, const uint8_t **line,
    size_t *len, bool *bare_lf);
/* Up to want bytes of raw input (at least 1 on LINES_OK). */
enum lines_result lines_read_raw(struct lines_reader *r, size_t want,
    const uint8_t **p, size_t *len);
/* Bytes already buffered and not handed out. */
bool lines_pending(const struct lines_reader *r);
/* Wait up to timeout_ms (-1: forever) for input. 1 ready, 0 timeout,
 * -1 error. */
int lines_wait(const struct lines_reader *r, int timeout_ms);

struct lines_writer {
	int fd;
	struct buf out;
	int timeout_ms;      /* per flush, while the peer does not read */
	uint64_t bytes_out;
};

void lines_writer_init(struct lines_writer *w, int fd, size_t max);
void lines_writer_free(struct lines_writer *w);
/* Queue bytes; flushes first if they would not fit. -1 on error. */
int lines_write(struct lines_writer *w, const void *p, size_t n);
int lines_printf(struct lines_writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Write all queued bytes (poll on EAGAIN). -1 on error or timeout. */
int lines_flush(struct lines_writer *w);

#endif
