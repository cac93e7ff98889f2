/*
 * smtp_io: the relay connection's bytes, plain or, after STARTTLS, TLS
 * (OpenSSL over the non-blocking socket cloisterd passed). Every wait is
 * bounded by the timeout. The TLS context (CA certificates, the name or
 * address the relay's certificate must carry) is made before the worker
 * confines itself: nothing is read from a file afterwards.
 */
#ifndef CLOISTER_SMTP_IO_H
#define CLOISTER_SMTP_IO_H

#include <stddef.h>
#include <sys/types.h>

struct ssl_st;
struct ssl_ctx_st;

struct smtp_io {
	int fd;
	int timeout_ms;
	struct ssl_st *ssl;          /* NULL: plain */
};

/* The client context: TLS 1.2 or later, the peer verified against the CA
 * file (NULL: the system's default store) and verify_name, a host name or
 * an IP address literal. NULL on failure (logged). */
struct ssl_ctx_st *smtp_tls_context(const char *cafile, const char *verify_name);

/* Up to n bytes; 0 at end of file; -1 on an error or a timeout (errno). */
ssize_t smtp_io_read(struct smtp_io *io, void *p, size_t n);
int smtp_io_write_all(struct smtp_io *io, const void *p, size_t n);
/* The TLS handshake; 0, or -1 with the reason in err. */
int smtp_io_starttls(struct smtp_io *io, struct ssl_ctx_st *ctx, char *err,
    size_t errsize);
void smtp_io_end(struct smtp_io *io);

#endif
