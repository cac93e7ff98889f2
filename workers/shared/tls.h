/*
 * tls: the server side of TLS for the network workers (imapd, jmapd), over
 * one non-blocking socket, with OpenSSL.
 *
 * Settings fixed here, not in the config: TLS 1.2 or later; no
 * renegotiation; no session tickets and no session cache (each worker serves
 * one connection and exits, so neither could ever be used, and a ticket key
 * is one more secret to keep); ECDHE suites only in TLS 1.2 (no RSA key
 * transport); SSL_MODE_RELEASE_BUFFERS so that an idle session holds no
 * record buffers. Load the context before confining: it reads the
 * certificate (and, without keyd, key) files. With keyd only the chain
 * files' bytes are read then; they are parsed and the SSL_CTX built from
 * them on the first tls_conn_new(), after confinement: a connection that
 * never speaks TLS (a plaintext listener, STARTTLS not asked) does not pay
 * the ~1.5 ms of CPU that set-up costs. keyd has checked each chain's leaf
 * against its key when it started.
 *
 * I/O calls never block. They return a byte count (> 0), 0 at the end of the
 * stream, or a negative enum tls_status; after TLS_WANT_READ/TLS_WANT_WRITE
 * poll the socket for that event and repeat the call with the same arguments
 * (OpenSSL's retry rule; the buffer may move, its bytes may not change).
 */
#ifndef CLOISTER_TLS_H
#define CLOISTER_TLS_H

#include "keyd_certs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum tls_status {
	TLS_ERROR = -1,       /* fatal: the connection is over (logged once) */
	TLS_WANT_READ = -2,
	TLS_WANT_WRITE = -3,
};

struct tls_server;
struct tls_conn;

/* A server context with the certificate chain (PEM) and private key.
 * NULL with a message in err on failure. */
struct tls_server *tls_server_new(const char *cert_path, const char *key_path,
    char *err, size_t errlen);
/* A server context whose private keys stay in cloister-keyd (docs/keyd.md):
 * one context per certificate, chosen by SNI ("default" otherwise); only
 * the chains are read, every signature is asked of keyd over
 * CLOISTER_FD_KEYD. certs must outlive the result. NULL with err. */
struct tls_server *tls_server_new_keyd(const struct keyd_cert_entry *certs,
    size_t n, char *err, size_t errlen);
void tls_server_free(struct tls_server *s);

/* Start a server-side session on fd (already non-blocking). The handshake
 * runs inside the first tls_handshake() calls. NULL on allocation failure,
 * or when the keyd contexts cannot be built (logged). */
struct tls_conn *tls_conn_new(struct tls_server *s, int fd);
void tls_conn_free(struct tls_conn *c);

/* The client's address for the one line a failed connection logs
 * ("tls handshake failed: client=ADDR reason=\"words\""); a worker
 * serves one connection, so it is set once, before the handshake. */
void tls_set_client(const char *addr);
/* The client has not sent a byte (a port check, when it then closes). */
bool tls_client_silent(const struct tls_conn *c);

/* 1 when the handshake is complete, else a negative tls_status. */
int tls_handshake(struct tls_conn *c);

ssize_t tls_read(struct tls_conn *c, void *buf, size_t len);
ssize_t tls_write(struct tls_conn *c, const void *buf, size_t len);
/* Send len bytes of the file fd from offset off: SSL_sendfile when kTLS is
 * on for this session, else SSL_write from a read-only mapping. Returns
 * bytes sent (maybe fewer than len) or a negative tls_status. */
ssize_t tls_sendfile(struct tls_conn *c, int fd, off_t off, size_t len);

/* Decrypted bytes waiting inside OpenSSL: read them before polling. */
bool tls_pending(const struct tls_conn *c);
/* Send close_notify (best effort, non-blocking). */
void tls_shutdown(struct tls_conn *c);

/* Negotiated protocol and cipher, for the log line ("TLSv1.3",
 * "TLS_AES_256_GCM_SHA384"); "" before the handshake. */
const char *tls_version(const struct tls_conn *c);
const char *tls_cipher(const struct tls_conn *c);
/* Bytes already inside OpenSSL (decrypted or not yet): a read may return
 * data although poll() on the socket would wait. */
bool tls_has_pending(const struct tls_conn *c);
/* kTLS transmit offload is active (sendfile goes through the kernel). */
bool tls_ktls_send(const struct tls_conn *c);

#endif
