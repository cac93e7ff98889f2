/* tls: non-blocking OpenSSL server sessions (see tls.h). */
#include "tls.h"
#include "tls_algs.h"
#include "tls_err.h"
#include "tls_keyd.h"
#include "buf.h"
#include "log.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct tls_server {
	SSL_CTX *ctx;                          /* where a session starts */
	/* with keyd: one context per certificate, [0] the default */
	SSL_CTX *by_name[KEYD_CERTS_MAX];
	const char *names[KEYD_CERTS_MAX];     /* the caller's, kept */
	size_t n;
	/* with keyd, what the contexts are built from on the first session
	 * (tls.h): the chain files' bytes, read before confinement, then the
	 * parsed chains and keyd's keys for them */
	char *pem[KEYD_CERTS_MAX];
	size_t pemlen[KEYD_CERTS_MAX];
	X509 *leaf[KEYD_CERTS_MAX];
	STACK_OF(X509) *chain[KEYD_CERTS_MAX];
	EVP_PKEY *key[KEYD_CERTS_MAX];
};

/* TLS 1.2: ECDHE only (TLS 1.3 suites are all forward secret). */
#define TLS_CIPHERS_12 "ECDHE+AESGCM:ECDHE+CHACHA20"
/* What keyd signs with (workers/keyd/keyd_shape.c): no SHA-1, SHA-224,
 * and no RSA-PSS keys (rsa_pss_pss_*). */
#define TLS_SIGALGS "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:" \
	"rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:" \
	"RSA+SHA256:RSA+SHA384:RSA+SHA512"

struct tls_conn {
	SSL *ssl;
	int fd;
	bool ktls_send;
	bool failed_logged;   /* one line per connection about its failure */
	bool established;     /* the handshake completed */
};

/* The client of this process's connection, for those lines (a network
 * worker serves one connection). */
static char tls_client[64] = "-";

void
tls_set_client(const char *addr)
{
	snprintf(tls_client, sizeof(tls_client), "%s", addr);
}

/* One SSL_write from a mapping covers at most this much: bounded address
 * space whatever the message size. */
#define TLS_MAP_WINDOW (256 * 1024)

static void
errq_to(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char msg[256];
	ERR_error_string_n(e, msg, sizeof(msg));
	ERR_clear_error();
	/* an over-long message is cut, never overflowed */
	if (buf_snprintf(err, errlen, "%s: %s", what, e ? msg : "failed") < 0 &&
	    errlen > 0)
		(void)buf_strlcpy(err, errlen, "TLS setup failed", 16);
}

/* The settings every context has (tls.h): versions, no resumption, the
 * forward-secret suites only (no RSA key transport: no private-key
 * decryption, ever), the signature schemes keyd signs with. */
static SSL_CTX *
ctx_new(char *err, size_t errlen)
{
	/* libssl's set-up (~0.1 ms: its tables of legacy cipher and digest
	 * names) waits for the first context, so a connection that never
	 * speaks TLS does not pay for it; the same options as
	 * tls_worker_start's libcrypto set-up (no openssl.cnf, no error
	 * strings), or SSL_CTX_new would run it with the defaults. Its
	 * algorithms come from cloister-tls (tls_algs.h), loaded first. */
	if (tls_algs_load(err, errlen) < 0)
		return NULL;
	if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG |
	    OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL) != 1) {
		errq_to(err, errlen, "OPENSSL_init_ssl");
		return NULL;
	}
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		errq_to(err, errlen, "SSL_CTX_new");
		return NULL;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS_12) != 1 ||
	    SSL_CTX_set1_sigalgs_list(ctx, TLS_SIGALGS) != 1) {
		errq_to(err, errlen, "TLS settings");
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
	/* one connection per process: nothing to resume, nothing to cache */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS |
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* kTLS where the kernel has it: bodies then go out with sendfile */
#ifdef SSL_OP_ENABLE_KTLS
	SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
#endif
	return ctx;
}

static int
use_chain(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, path) == 1)
		return 0;
	char what[300];
	if (buf_snprintf(what, sizeof(what), "certificate %s", path) < 0)
		what[0] = '\0';
	errq_to(err, errlen, what);
	return -1;
}

struct tls_server *
tls_server_new(const char *cert_path, const char *key_path, char *err,
    size_t errlen)
{
	struct tls_server *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		errq_to(err, errlen, "out of memory");
		return NULL;
	}
	if ((s->ctx = ctx_new(err, errlen)) == NULL ||
	    use_chain(s->ctx, cert_path, err, errlen) < 0)
		goto fail;
	if (SSL_CTX_use_PrivateKey_file(s->ctx, key_path, SSL_FILETYPE_PEM) != 1) {
		char what[300];
		if (buf_snprintf(what, sizeof(what), "key %s", key_path) < 0)
			what[0] = '\0';
		errq_to(err, errlen, what);
		goto fail;
	}
	if (SSL_CTX_check_private_key(s->ctx) != 1) {
		errq_to(err, errlen, "key does not match the certificate");
		goto fail;
	}
	return s;
fail:
	tls_server_free(s);
	return NULL;
}

/* SNI: the context of the certificate of that name, else the default's
 * (no alert: a client that names another host gets the default). */
static int
pick_by_name(SSL *ssl, int *alert, void *arg)
{
	(void)alert;
	const struct tls_server *s = arg;
	const char *host = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	for (size_t i = 1; host != NULL && i < s->n; i++)
		if (strcasecmp(s->names[i], host) == 0) {
			SSL_set_SSL_CTX(ssl, s->by_name[i]);
			break;
		}
	return SSL_TLSEXT_ERR_OK;
}

/* A chain file's bytes, whole (a chain is a few KiB; more is refused). */
#define TLS_CHAIN_MAX (1024 * 1024)

static int
read_pem(struct tls_server *s, size_t slot, const char *path, char *err,
    size_t errlen)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	const char *why = NULL;
	if (f == NULL || fstat(fileno(f), &st) < 0)
		why = strerror(errno);
	else if (st.st_size <= 0 || st.st_size > TLS_CHAIN_MAX)
		why = "empty, or larger than 1 MiB";
	else if ((s->pem[slot] = malloc((size_t)st.st_size)) == NULL)
		why = "out of memory";
	else if ((s->pemlen[slot] = fread(s->pem[slot], 1, (size_t)st.st_size,
	    f)) != (size_t)st.st_size)
		why = "short read";
	if (f != NULL)
		fclose(f);
	if (why == NULL)
		return 0;
	buf_snprintf(err, errlen, "certificate %s: %s", path, why);
	return -1;
}

/* The chain: the leaf, then the certificates that go with it; then keyd's
 * key for the leaf. */
static int
parse_chain(struct tls_server *s, size_t slot, char *err, size_t errlen)
{
	BIO *b = BIO_new_mem_buf(s->pem[slot], (int)s->pemlen[slot]);
	s->chain[slot] = sk_X509_new_null();
	if (b == NULL || s->chain[slot] == NULL ||
	    (s->leaf[slot] = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL)) == NULL)
		goto fail;
	X509 *x;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(s->chain[slot], x)) {
			X509_free(x);
			goto fail;
		}
	/* the end of the file is the one error that is not */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE)
		goto fail;
	ERR_clear_error();
	BIO_free(b);
	s->key[slot] = tls_keyd_key(s->leaf[slot], s->names[slot]);
	if (s->key[slot] == NULL)
		goto fail;
	return 0;
fail:
	BIO_free(b);
	X509_free(s->leaf[slot]);   /* nothing half-made stays for a next try */
	s->leaf[slot] = NULL;
	sk_X509_pop_free(s->chain[slot], X509_free);
	s->chain[slot] = NULL;
	char what[300];
	if (buf_snprintf(what, sizeof(what), "certificate %s", s->names[slot]) < 0)
		what[0] = '\0';
	errq_to(err, errlen, what);
	return -1;
}

/* The chains and the contexts, on the first session that speaks TLS: a
 * connection that never does (plaintext, STARTTLS not asked) does not pay
 * for them. keyd checked each chain's leaf against its key when it
 * started. */
static int
build_keyd_contexts(struct tls_server *s, char *err, size_t errlen)
{
	if (tls_keyd_init(err, errlen) < 0)   /* keyd's provider, once */
		return -1;
	for (size_t i = 0; i < s->n; i++)
		if (s->leaf[i] == NULL && parse_chain(s, i, err, errlen) < 0)
			return -1;
	for (size_t i = 0; i < s->n; i++) {
		SSL_CTX *ctx = ctx_new(err, errlen);
		s->by_name[i] = ctx;
		if (ctx == NULL || SSL_CTX_use_certificate(ctx, s->leaf[i]) != 1 ||
		    SSL_CTX_set1_chain(ctx, s->chain[i]) != 1 ||
		    SSL_CTX_use_PrivateKey(ctx, s->key[i]) != 1) {
			if (ctx != NULL)
				errq_to(err, errlen, s->names[i]);
			for (size_t j = 0; j <= i; j++) {
				SSL_CTX_free(s->by_name[j]);
				s->by_name[j] = NULL;
			}
			return -1;
		}
	}
	s->ctx = s->by_name[0];
	SSL_CTX_set_tlsext_servername_callback(s->ctx, pick_by_name);
	SSL_CTX_set_tlsext_servername_arg(s->ctx, s);
	return 0;
}

struct tls_server *
tls_server_new_keyd(const struct keyd_cert_entry *certs, size_t n,
    char *err, size_t errlen)
{
	struct tls_server *s = calloc(1, sizeof(*s));
	if (s == NULL || n == 0 || n > KEYD_CERTS_MAX) {
		free(s);
		buf_snprintf(err, errlen, "no certificates");
		return NULL;
	}
	s->n = n;
	/* the default first: it is the context a session starts in */
	for (size_t i = 0, k = 1; i < n; i++) {
		size_t slot = strcmp(certs[i].name, "default") == 0 ? 0 : k++;
		if (slot >= n) {
			buf_snprintf(err, errlen, "no certificate named default");
			goto fail;
		}
		s->names[slot] = certs[i].name;
		if (read_pem(s, slot, certs[i].chain, err, errlen) < 0)
			goto fail;
	}
	return s;
fail:
	tls_server_free(s);
	return NULL;
}

void
tls_server_free(struct tls_server *s)
{
	if (s == NULL)
		return;
	if (s->n == 0)
		SSL_CTX_free(s->ctx);
	for (size_t i = 0; i < s->n && i < KEYD_CERTS_MAX; i++) {
		SSL_CTX_free(s->by_name[i]);
		X509_free(s->leaf[i]);
		sk_X509_pop_free(s->chain[i], X509_free);
		EVP_PKEY_free(s->key[i]);
		free(s->pem[i]);
	}
	free(s);
}

struct tls_conn *
tls_conn_new(struct tls_server *s, int fd)
{
	if (s->ctx == NULL) {
		char err[320];
		if (build_keyd_contexts(s, err, sizeof(err)) < 0) {
			log_warn("tls: %s", err);
			return NULL;
		}
	}
	struct tls_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->ssl = SSL_new(s->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1) {
		ERR_clear_error();
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	c->fd = fd;
	SSL_set_accept_state(c->ssl);
	return c;
}

void
tls_conn_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	free(c);
}

bool
tls_client_silent(const struct tls_conn *c)
{
	BIO *rb = c != NULL ? SSL_get_rbio(c->ssl) : NULL;
	return rb != NULL && BIO_number_read(rb) == 0;
}

/* The one line about a connection's failure: client and reason in words.
 * A client that connected and closed without sending a byte (a port
 * check) did nothing wrong: a debug line. */
static void
failure_line(struct tls_conn *c, const char *op, const char *why)
{
	if (c->failed_logged)
		return;
	c->failed_logged = true;
	if (tls_client_silent(c))
		log_debug("tls %s: client=%s sent nothing (%s)", op, tls_client,
		    why);
	else
		log_info("tls %s failed: client=%s reason=\"%s\"", op, tls_client,
		    why);
}

/* Map an OpenSSL result to a tls_status; errors are logged once here. */
static int
status(struct tls_conn *c, int ret, const char *op)
{
	int e = SSL_get_error(c->ssl, ret);
	switch (e) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			/* EOF without close_notify, or a socket error: the
			 * peer went away; not worth an error line */
			if (errno != 0 && errno != ECONNRESET && errno != EPIPE)
				failure_line(c, op, strerror(errno));
			return ret == 0 ? 0 : TLS_ERROR;
		}
		break;
	default:
		break;
	}
	unsigned long err = ERR_get_error();
	ERR_clear_error();
	/* a client that hangs up without close_notify after the handshake
	 * has ended its session, as most do: the end of the stream */
	if (ERR_GET_LIB(err) == ERR_LIB_SSL && ERR_GET_REASON(err) ==
	    SSL_R_UNEXPECTED_EOF_WHILE_READING && c->established)
		return 0;
	char why[160];
	failure_line(c, op, tls_err_text(err, why, sizeof(why)));
	return TLS_ERROR;
}

int
tls_handshake(struct tls_conn *c)
{
	ERR_clear_error();
	errno = 0;
	int r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->established = true;
#ifdef BIO_get_ktls_send
		c->ktls_send = BIO_get_ktls_send(SSL_get_wbio(c->ssl)) == 1;
#endif
		return 1;
	}
	int st = status(c, r, "handshake");
	return st == 0 ? TLS_ERROR : st;
}

ssize_t
tls_read(struct tls_conn *c, void *buf, size_t len)
{
	if (len == 0)
		return TLS_ERROR;
	size_t got = 0;
	ERR_clear_error();
	errno = 0;
	int r = SSL_read_ex(c->ssl, buf, len, &got);
	if (r == 1)
		return (ssize_t)got;
	return status(c, 0, "read");
}

ssize_t
tls_write(struct tls_conn *c, const void *buf, size_t len)
{
	if (len == 0)
		return 0;
	size_t done = 0;
	ERR_clear_error();
	errno = 0;
	int r = SSL_write_ex(c->ssl, buf, len, &done);
	if (r == 1)
		return (ssize_t)done;
	int st = status(c, 0, "write");
	return st == 0 ? TLS_ERROR : st;
}

ssize_t
tls_sendfile(struct tls_conn *c, int fd, off_t off, size_t len)
{
	if (len == 0)
		return 0;
	struct stat sb;
	if (off < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    off >= sb.st_size) {
		log_warn("tls sendfile: bad body fd or offset");
		return TLS_ERROR;
	}
	if ((uint64_t)len > (uint64_t)(sb.st_size - off))
		len = (size_t)(sb.st_size - off);
#ifdef BIO_get_ktls_send
	if (c->ktls_send) {
		ERR_clear_error();
		errno = 0;
		ossl_ssize_t r = SSL_sendfile(c->ssl, fd, off, len, 0);
		if (r >= 0)
			return r;
		int st = status(c, -1, "sendfile");
		return st == 0 ? TLS_ERROR : st;
	}
#endif
	/* map a window: page-aligned start, at most TLS_MAP_WINDOW bytes */
	long page = sysconf(_SC_PAGESIZE);
	off_t base = off - (off % page);
	size_t lead = (size_t)(off - base);
	size_t want = len < TLS_MAP_WINDOW ? len : TLS_MAP_WINDOW;
	uint8_t *map = mmap(NULL, lead + want, PROT_READ, MAP_SHARED, fd, base);
	if (map == MAP_FAILED) {
		log_warn("tls sendfile: mmap: %s", strerror(errno));
		return TLS_ERROR;
	}
	ssize_t r = tls_write(c, map + lead, want);
	munmap(map, lead + want);
	return r;
}

bool
tls_pending(const struct tls_conn *c)
{
	return SSL_pending(c->ssl) > 0;
}

void
tls_shutdown(struct tls_conn *c)
{
	ERR_clear_error();
	if (SSL_is_init_finished(c->ssl))
		(void)SSL_shutdown(c->ssl);
	ERR_clear_error();
}

const char *
tls_version(const struct tls_conn *c)
{
	return SSL_is_init_finished(c->ssl) ? SSL_get_version(c->ssl) : "";
}

const char *
tls_cipher(const struct tls_conn *c)
{
	const char *n = SSL_get_cipher_name(c->ssl);
	return n != NULL && SSL_is_init_finished(c->ssl) ? n : "";
}

bool
tls_has_pending(const struct tls_conn *c)
{
	return SSL_has_pending(c->ssl) == 1;
}

bool
tls_ktls_send(const struct tls_conn *c)
{
	return c->ktls_send;
}
