/*
 * client_conn: the client connection of one imapd or jmapd — a
 * non-blocking socket, plaintext or TLS (tls.h), an input buffer, the
 * buffered output and body streaming. Output is flushed once per pipelined batch
 * (and when it grows past a threshold), so that a burst of commands costs
 * one write; a client that stops reading for io_timeout is dropped.
 */
#ifndef CLOISTER_CLIENT_CONN_H
#define CLOISTER_CLIENT_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "tls.h"

#define CLIENT_CONN_IN_SIZE 8192
/* flush on its own when this much output is waiting */
#define CLIENT_CONN_OUT_SOFT (64 * 1024)
/* a single formatted item may not exceed this (bounded memory) */
#define CLIENT_CONN_OUT_MAX (2 * 1024 * 1024 + CLIENT_CONN_OUT_SOFT)

struct client_conn {
	int fd;
	struct tls_conn *tls;       /* NULL: plaintext */
	uint8_t *in;                /* CLIENT_CONN_IN_SIZE bytes, or NULL */
	size_t in_off, in_len;      /* unread bytes: in[in_off, in_len) */
	struct buf out;
	size_t tls_retry;           /* length of an SSL_write to repeat */
	int io_timeout_ms;          /* a write may wait this long */
	int64_t deadline_ms;        /* 0, or no wait of any kind (read,
	                             * write, TLS handshake) goes past this
	                             * (CLOCK_MONOTONIC): the login deadline */
	uint64_t bytes_in, bytes_out;
	bool failed;                /* sticky: the connection is gone */
	bool eof;                   /* ... because the client closed it */
	bool stopped;               /* a wait ended for client_conn_stop() */
};

void client_conn_init(struct client_conn *c, int fd, int io_timeout_ms);
void client_conn_free(struct client_conn *c);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t client_conn_now_ms(void);
/* An absolute limit on every wait from now on; 0 lifts it. Once it has
 * passed, client_conn_wait reports CLIENT_WAIT_TIMEOUT even to a client that
 * keeps sending, and writes that would block fail. */
void client_conn_set_deadline(struct client_conn *c, int64_t deadline_ms);

/* Run the TLS handshake (STARTTLS or implicit TLS); bounded by timeout.
 * 0 on success, -1 (the connection is then failed). */
int client_conn_start_tls(struct client_conn *c, struct tls_server *srv,
    int timeout_ms);

/* STARTTLS after its OK was queued: flush it, drop what the client
 * pipelined in clear (*dropped: how many bytes, for the log), then the
 * handshake. 0; -1 when the client is gone before it, -2 when the
 * handshake failed (the connection is then failed). */
int client_conn_starttls(struct client_conn *c, struct tls_server *srv,
    int timeout_ms, size_t *dropped);

enum client_wait {
	CLIENT_WAIT_INPUT = 1,        /* bytes in the input buffer */
	CLIENT_WAIT_EXTRA = 2,        /* extra_fd is readable */
	CLIENT_WAIT_TIMEOUT = 0,
	CLIENT_WAIT_CLOSED = -1,      /* end of stream or error */
};
/* Read more input, waiting up to timeout_ms (-1: forever) and also for
 * extra_fd (-1: none). Input already buffered returns at once. */
enum client_wait client_conn_wait(struct client_conn *c, int extra_fd,
    int timeout_ms);
/* Unread input. */
const uint8_t *client_conn_input(const struct client_conn *c, size_t *len);
void client_conn_consume(struct client_conn *c, size_t n);
/* Drop buffered input (after STARTTLS: nothing sent in clear may count). */
void client_conn_drop_input(struct client_conn *c);
/* Free the input buffer while idle (it comes back on the next read). */
void client_conn_release(struct client_conn *c);

/* Ending the session from a signal handler (SIGTERM: cloisterd stopping,
 * or an administrator's kick). client_conn_stop() is async-signal-safe:
 * from then on every wait ends at once — a wait for input returns
 * CLIENT_WAIT_CLOSED with c->stopped set (between responses: the session
 * can still say goodbye), a wait to write or for the TLS handshake fails
 * the connection (mid-response: nothing more can be said). */
void client_conn_stop(void);
bool client_conn_stop_requested(void);
/* Where the process sleeps for its client, if it does: a signal handler
 * may then end it at once, as no TLS or allocator call is under way. */
enum client_sleep {
	CLIENT_AWAKE = 0,           /* working: client_conn_stop() and return */
	CLIENT_ASLEEP_INPUT = 1,    /* between responses: may say a last line */
	CLIENT_ASLEEP_OUTPUT = 2,   /* mid-response (a blocked write) */
};
enum client_sleep client_conn_asleep(void);
/* From a signal handler, only in CLIENT_ASLEEP_INPUT: one
 * non-blocking attempt to send line (len bytes) if no output is pending;
 * no wait. */
void client_conn_say_last(struct client_conn *c, const char *line,
    size_t len);

/* Write everything buffered. -1 if the client is gone or too slow. */
int client_conn_flush(struct client_conn *c);
/* Flush if past CLIENT_CONN_OUT_SOFT. */
int client_conn_maybe_flush(struct client_conn *c);
/* Streams of many bodies flush at this (fewer, larger writes: a quarter
 * of the system calls and wake-ups of the reader of 64 KiB ones). */
#define CLIENT_CONN_OUT_BULK (256 * 1024)
/* Flush if past CLIENT_CONN_OUT_BULK. */
int client_conn_maybe_flush_bulk(struct client_conn *c);
/* Flush, then send len bytes of fd from off (sendfile / kTLS / mapping). */
int client_conn_send_file(struct client_conn *c, int fd, off_t off, uint64_t len);

#endif
