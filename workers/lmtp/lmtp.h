/*
 * lmtp: the LMTP server side (RFC 2033) of lmtpd, apart from the store.
 *
 * A session reads commands from one client fd and answers them: LHLO,
 * MAIL FROM (SIZE, BODY), RCPT TO, DATA (dot-unstuffing, one reply per
 * recipient), BDAT (CHUNKING, RFC 3030), RSET, NOOP, VRFY, HELP, QUIT;
 * PIPELINING (replies flushed once per batch), 8BITMIME,
 * ENHANCEDSTATUSCODES (RFC 3463), SIZE (RFC 1870). What a recipient is and
 * where a message goes is asked of a backend (struct lmtp_backend): the
 * store in lmtpd, a fake in the tests and the fuzz target. A recipient's
 * 250 is sent only after the backend said the message is durable.
 */
#ifndef CLOISTER_LMTP_H
#define CLOISTER_LMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "lines.h"

#define LMTP_PATH_MAX 256        /* RFC 5321 4.5.3.1.3 */
#define LMTP_USER_MAX 255        /* = STORE_USER_MAX */
#define LMTP_DETAIL_MAX 255

struct lmtp_opts {
	char hostname[256];
	uint64_t max_size;       /* message size limit (SIZE) */
	unsigned max_rcpts;      /* recipients per transaction */
	size_t max_cmd_line;     /* command line, CRLF included */
	size_t max_data_line;    /* message line, CRLF included */
	bool quota_temp;         /* over quota: 452 4.2.2, else 552 5.2.2 */
	bool bare_lf_ok;         /* accept bare LF (as CRLF) instead of 5xx */
	bool full_address;       /* the store user is the whole address */
	char delimiter;          /* user+detail; 0 = none */
	int timeout_ms;          /* idle client: 421 and close */
	bool received;           /* add a Received: header */
	size_t read_chunk;       /* bytes per read (0: the default; small in
	                            the fuzz target and tests) */
};

void lmtp_opts_default(struct lmtp_opts *o);

/* A recipient as the store sees it. */
struct lmtp_rcpt {
	char addr[LMTP_PATH_MAX + 1];     /* the path, without < > */
	char user[LMTP_USER_MAX + 1];
	char detail[LMTP_DETAIL_MAX + 1]; /* "" = none */
};

/* The message and its envelope, handed to the backend after DATA. */
struct lmtp_txn {
	uint64_t id;                      /* per session, for logs and ids */
	const char *lhlo;                 /* the client's LHLO name */
	const char *client;               /* its address, text ("" if none) */
	const char *sender;               /* MAIL FROM path ("" = <>) */
	const struct lmtp_rcpt *rcpts;    /* the accepted ones */
	size_t nrcpts;
	const uint8_t *msg;               /* dot-unstuffed, CRLF lines */
	size_t len;
};

/* Backend answers: 0, or one of these. */
enum lmtp_result {
	LMTP_R_OK = 0,
	LMTP_R_NOUSER = 1,       /* 550 5.1.1 */
	LMTP_R_QUOTA = 2,        /* 452 4.2.2 / 552 5.2.2 */
	LMTP_R_TOOBIG = 3,       /* 552 5.3.4 */
	LMTP_R_TEMP = 4,         /* 451 4.3.0 */
	LMTP_R_GONE = 5,         /* 451 4.3.0, and the session ends: the
	                            store connection is lost (crash-only) */
	LMTP_R_NOSPACE = 6,      /* 452 4.3.1 (the store's disk is full) */
	LMTP_R_REJECT = 7,       /* 550 5.7.1 and the backend's reason (a
	                            Sieve reject, RFC 5429 section 2.1) */
};

struct lmtp_backend {
	/* May this recipient get a message of size bytes (0: unknown)? */
	enum lmtp_result (*rcpt)(void *ctx, const struct lmtp_rcpt *r,
	    uint64_t size);
	/* Deliver t->msg to t->rcpts[i]; return only once durable. */
	enum lmtp_result (*deliver)(void *ctx, const struct lmtp_txn *t,
	    size_t i);
	/* The transaction is over (free what deliver kept). May be NULL. */
	void (*txn_end)(void *ctx, const struct lmtp_txn *t);
	void *ctx;
	/* The reason of the last LMTP_R_REJECT: one line of printable
	 * ASCII. May be NULL when deliver never rejects. */
	const char *(*reason)(void *ctx);
};

/* Serve one client on fd (blocking on poll) until QUIT, EOF, a timeout
 * or a lost backend. client: the peer's address as text (Received:).
 * Returns 0 for an orderly end, -1 when the backend was lost. */
int lmtp_serve(int fd, const char *client, const struct lmtp_opts *o,
    const struct lmtp_backend *be);

/* Parse a "<path>" (RFC 5321 Reverse-path / Forward-path with optional
 * source route) at s: the address without brackets into addr, the rest
 * (ESMTP parameters) at *rest. -1 on a syntax error. */
int lmtp_parse_path(const char *s, size_t n, char *addr, size_t addrsz,
    const char **rest, bool allow_null);
/* addr -> store user and detail (lower-cased user; delimiter split). */
int lmtp_map_rcpt(const struct lmtp_opts *o, const char *addr,
    struct lmtp_rcpt *r);

/* The header lines lmtpd puts in front of a delivered message
 * (Return-Path, Delivered-To, Received), as Dovecot and Cyrus do. */
int lmtp_trace_headers(struct buf *out, const struct lmtp_opts *o,
    const struct lmtp_txn *t, size_t i, int64_t now);

/* The line about one recipient (lmtp_log.c): "EVENT: client=C from=S
 * to=R " + the formatted rest; and the line for a reply refusing one
 * ("rejected: ... stage=STAGE code=550 dsn=5.1.1 text=..."). */
void lmtp_log_rcpt(const char *event, const char *client, const char *sender,
    const char *rcpt, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void lmtp_log_reply(const char *stage, const char *client, const char *sender,
    const char *rcpt, const char *reply);

/* The line at the end of a connection (lmtp_log.c). */
struct lmtp_end {
	const char *client, *lhlo;   /* lhlo: "" before LHLO */
	const char *reason;          /* quit, closed, idle-timeout, error,
	                                store-unavailable */
	int64_t ms;
	uint64_t in, out;
	unsigned delivered, rejected;
};
void lmtp_log_end(const struct lmtp_end *e);

#endif
