/*
 * imap_client: one connection to a remote IMAP server, as a client, for
 * the IMAP import source: TCP, TLS (implicit or STARTTLS, the certificate
 * verified unless told otherwise), commands with tags, the server's
 * responses one at a time (imap_client_resp), and the login.
 *
 * Blocking I/O with a timeout on every read and write. Errors leave a
 * message in c->err.
 */
#ifndef CLOISTER_IMAP_CLIENT_H
#define CLOISTER_IMAP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "buf.h"
#include "imap_client_resp.h"

enum imapc_tls {
	IMAPC_TLS_IMPLICIT,     /* imaps: TLS from the first byte */
	IMAPC_TLS_STARTTLS,     /* imap: STARTTLS before anything else */
	IMAPC_TLS_NONE,         /* plaintext: loopback peers only */
};

struct imapc_opts {
	const char *host, *port;
	enum imapc_tls tls;
	const char *ca_file;    /* NULL: the system's trust store */
	bool insecure;          /* no certificate check (self-signed tests) */
	unsigned timeout_s;     /* per read, write and connect */
	size_t max_literal;     /* the largest literal (message) accepted */
};

struct imapc {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	struct buf in;
	size_t used;            /* bytes of the response last returned */
	struct imapc_frame fr;
	struct imapc_resp resp;
	size_t max_literal;
	unsigned caps;          /* imap_client_data.h IMAPC_CAP_* */
	unsigned tag;
	char err[512];
};

/* Set c up and read what TLS needs from files (the CA certificates):
 * before a process gives up the right to read them. 0, or -1 (c->err);
 * imapc_close() either way. */
int imapc_init(struct imapc *c, const struct imapc_opts *o);
/* Then resolve the name and connect (plaintext: to a loopback address
 * only); nothing is read yet. 0, or -1 (c->err says why). */
int imapc_connect(struct imapc *c, const struct imapc_opts *o);
/* Then read the greeting, set up TLS as asked, learn the capabilities:
 * the first bytes from the server. 0, or -1. */
int imapc_start(struct imapc *c, const struct imapc_opts *o);
/* Log in as user; with admin set, as admin acting for user
 * (AUTHENTICATE PLAIN, authzid user, authcid admin). LOGIN only when the
 * server has no AUTH=PLAIN and no admin is named. */
int imapc_login(struct imapc *c, const char *user, const char *admin,
    const char *password, size_t pwlen);
void imapc_close(struct imapc *c);

/* Send "TAG " + the command + CRLF; the tag's number, or 0 on error. */
unsigned imapc_send(struct imapc *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Write bytes as they are (a line the caller made, CRLF included). */
int imapc_write_line(struct imapc *c, const void *p, size_t n);
/* The next response; valid until the next call. 0, or -1. */
int imapc_read(struct imapc *c, struct imapc_resp **out);

/* Read to tag's tagged response, handing each untagged one to fn (which
 * returns 0, or -1 to fail). 0 if the command ended OK, else -1 (NO, BAD,
 * BYE, an error) with c->err set. */
typedef int (*imapc_untagged_fn)(void *arg, struct imapc_resp *r);
int imapc_wait(struct imapc *c, unsigned tag, imapc_untagged_fn fn,
    void *arg);

/* Append s as an IMAP quoted string; -1 if it cannot be one (CR, LF, NUL
 * or 8-bit bytes). */
int imapc_quote(struct buf *out, const char *s, size_t n);

#endif
