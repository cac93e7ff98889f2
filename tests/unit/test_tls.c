/* Unit tests for workers/shared/tls: a server session driven against an
 * OpenSSL client over a socketpair, both non-blocking, in one process. The
 * certificate is made at test time with the openssl CLI. With keyd
 * (tls_server_new_keyd) a forked stand-in on fd 24 plays keyd and checks
 * that what it is asked to sign is a whole TLS handshake message. */
#include "check.h"
#include "tls.h"
#include "fds.h"
#include "ipc.h"
#include "keyd_shape.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/cloister-tls-XXXXXX";
static char cert[256], key[256], key2[256];

static int
make_cert(void)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(key2, sizeof(key2), "%s/other.pem", dir);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout %s -out %s -days 2 -subj /CN=localhost "
	    ">/dev/null 2>&1 && openssl genpkey -algorithm EC -pkeyopt "
	    "ec_paramgen_curve:P-256 -out %s >/dev/null 2>&1", key, cert, key2);
	return system(cmd) == 0 ? 0 : -1;
}

static void
nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

struct pair {
	int sfd, cfd;
	struct tls_conn *s;
	SSL_CTX *cctx;
	SSL *c;
};

static int
pair_open(struct pair *p, struct tls_server *srv, int maxver)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	p->sfd = sv[0];
	p->cfd = sv[1];
	nonblock(p->sfd);
	nonblock(p->cfd);
	p->s = tls_conn_new(srv, p->sfd);
	p->cctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_security_level(p->cctx, 0);
	SSL_CTX_set_min_proto_version(p->cctx, TLS1_VERSION);
	if (maxver)
		SSL_CTX_set_max_proto_version(p->cctx, maxver);
	p->c = SSL_new(p->cctx);
	SSL_set_fd(p->c, p->cfd);
	SSL_set_connect_state(p->c);
	return 0;
}

static void
pair_close(struct pair *p)
{
	tls_conn_free(p->s);
	SSL_free(p->c);
	SSL_CTX_free(p->cctx);
	close(p->sfd);
	close(p->cfd);
}

/* Drive both handshakes; 1 if both finished, 0 if either failed. */
static int
handshake(struct pair *p)
{
	int sdone = 0, cdone = 0;
	for (int i = 0; i < 1000 && !(sdone && cdone); i++) {
		if (!sdone) {
			int r = tls_handshake(p->s);
			if (r == 1)
				sdone = 1;
			else if (r == TLS_ERROR)
				return 0;
		}
		if (!cdone) {
			int r = SSL_do_handshake(p->c);
			if (r == 1)
				cdone = 1;
			else {
				int e = SSL_get_error(p->c, r);
				if (e != SSL_ERROR_WANT_READ &&
				    e != SSL_ERROR_WANT_WRITE) {
					ERR_clear_error();
					return 0;
				}
			}
		}
	}
	return sdone && cdone;
}

/* Client reads exactly n bytes, pumping the server's sendfile/write. */
static size_t
client_read_all(struct pair *p, uint8_t *dst, size_t n)
{
	size_t got = 0;
	for (int i = 0; i < 100000 && got < n; i++) {
		int r = SSL_read(p->c, dst + got, (int)(n - got));
		if (r > 0)
			got += (size_t)r;
		else if (SSL_get_error(p->c, r) != SSL_ERROR_WANT_READ)
			break;
		else
			return got;
	}
	return got;
}

static void
test_roundtrip(struct tls_server *srv)
{
	struct pair p;
	CHECK(pair_open(&p, srv, 0) == 0);
	CHECK(handshake(&p));
	CHECK(strcmp(tls_version(p.s), "TLSv1.3") == 0);
	CHECK(tls_cipher(p.s)[0] != '\0');
	/* server reads nothing yet */
	char buf[64];
	CHECK_EQ(tls_read(p.s, buf, sizeof(buf)), TLS_WANT_READ);
	CHECK_EQ(SSL_write(p.c, "a1 NOOP\r\n", 9), 9);
	CHECK_EQ(tls_read(p.s, buf, sizeof(buf)), 9);
	CHECK(memcmp(buf, "a1 NOOP\r\n", 9) == 0);
	CHECK_EQ(tls_write(p.s, "a1 OK\r\n", 7), 7);
	uint8_t in[16];
	CHECK_EQ(client_read_all(&p, in, 7), 7);
	CHECK(memcmp(in, "a1 OK\r\n", 7) == 0);
	/* TLS 1.3 with num_tickets 0: the client holds no ticket */
	SSL_SESSION *sess = SSL_get1_session(p.c);
	CHECK(sess == NULL || !SSL_SESSION_has_ticket(sess));
	SSL_SESSION_free(sess);
	/* a clean close reads as end of stream */
	SSL_shutdown(p.c);
	CHECK_EQ(tls_read(p.s, buf, sizeof(buf)), 0);
	pair_close(&p);
}

static void
test_old_protocols_refused(struct tls_server *srv)
{
	struct pair p;
	CHECK(pair_open(&p, srv, TLS1_1_VERSION) == 0);
	CHECK(!handshake(&p));
	pair_close(&p);
	/* TLS 1.2 is still fine */
	CHECK(pair_open(&p, srv, TLS1_2_VERSION) == 0);
	CHECK(handshake(&p));
	CHECK(strcmp(tls_version(p.s), "TLSv1.2") == 0);
	/* no ticket in 1.2 either (SSL_OP_NO_TICKET) */
	SSL_SESSION *sess = SSL_get1_session(p.c);
	CHECK(sess != NULL && !SSL_SESSION_has_ticket(sess));
	SSL_SESSION_free(sess);
	pair_close(&p);
}

static void
test_no_renegotiation(struct tls_server *srv)
{
	struct pair p;
	CHECK(pair_open(&p, srv, TLS1_2_VERSION) == 0);
	CHECK(handshake(&p));
	/* the client asks to renegotiate; the server must refuse (no_renegotiation
	 * alert or ignoring), never complete a second handshake */
	CHECK_EQ(SSL_renegotiate(p.c), 1);
	(void)SSL_do_handshake(p.c);
	char buf[64];
	for (int i = 0; i < 10; i++) {
		(void)tls_read(p.s, buf, sizeof(buf));
		(void)SSL_do_handshake(p.c);
	}
	CHECK(SSL_renegotiate_pending(p.c));
	ERR_clear_error();
	pair_close(&p);
}

static void
test_sendfile(struct tls_server *srv)
{
	/* a 700 KiB file: crosses the mapping window and a page boundary */
	char path[300];
	snprintf(path, sizeof(path), "%s/body", dir);
	FILE *f = fopen(path, "w+");
	CHECK(f != NULL);
	size_t n = 700 * 1024 + 123;
	static uint8_t want[700 * 1024 + 123], got[700 * 1024 + 123];
	for (size_t i = 0; i < n; i++)
		want[i] = (uint8_t)(i * 7 + (i >> 11));
	CHECK_EQ(fwrite(want, 1, n, f), n);
	fflush(f);
	int fd = open(path, O_RDONLY);
	fclose(f);
	struct pair p;
	CHECK(pair_open(&p, srv, 0) == 0);
	CHECK(handshake(&p));
	/* send from offset 5000 (not page aligned) to the end */
	off_t off = 5000;
	size_t left = n - 5000, have = 0;
	for (int i = 0; i < 100000 && (left > 0 || have < n - 5000); i++) {
		if (left > 0) {
			ssize_t r = tls_sendfile(p.s, fd, off, left);
			if (r > 0) {
				off += r;
				left -= (size_t)r;
			} else
				CHECK(r == TLS_WANT_WRITE);
		}
		have += client_read_all(&p, got + have, n - 5000 - have);
	}
	CHECK_EQ(have, n - 5000);
	CHECK(memcmp(got, want + 5000, n - 5000) == 0);
	/* past the end of the file: refused, not a crash */
	CHECK_EQ(tls_sendfile(p.s, fd, (off_t)n + 10, 10), TLS_ERROR);
	close(fd);
	pair_close(&p);
}

/* A keyd stand-in on the other end of fd 24: signs what keyd would sign
 * (keyd_shape.h) with the key file, until EOF; its exit status is the set
 * of input kinds it saw, 0x80 for anything keyd would refuse. */
static int
fake_keyd(int fd, const char *key_path)
{
	FILE *f = fopen(key_path, "r");
	EVP_PKEY *pk = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f != NULL)
		fclose(f);
	static struct ipc_msg m;
	int seen = 0;
	for (;;) {
		enum ipc_recv_result r = ipc_recv(fd, &m);
		if (r == IPC_RECV_EOF)
			return seen;
		struct buf_cur c;
		const char *name;
		const uint8_t *in;
		size_t nl, len, siglen = KEY_SIG_MAX;
		uint32_t code;
		ipc_msg_cursor(&m, &c);
		if (pk == NULL || r != IPC_RECV_OK || m.type != IPC_KEY_SIGN ||
		    ipc_get_strp(&c, &name, &nl, KEY_NAME_MAX) < 0 ||
		    ipc_get_u32(&c, &code) < 0 ||
		    ipc_get_bytes(&c, &in, &len, KEY_INPUT_MAX) < 0 ||
		    nl != 7 || memcmp(name, "default", 7) != 0)
			return 0x80;
		const struct keyd_scheme *s = keyd_scheme_find(code);
		char why[256];
		int kind = s ? keyd_shape_check(s, in, len, why, sizeof(why)) : 0;
		uint8_t sig[KEY_SIG_MAX];
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		if (kind == 0 || EVP_DigestSignInit_ex(ctx, NULL, s->digest, NULL,
		    NULL, pk, NULL) != 1 ||
		    EVP_DigestSign(ctx, sig, &siglen, in, len) != 1)
			return 0x80;
		EVP_MD_CTX_free(ctx);
		seen |= kind;
		struct buf b = BUF_INIT(KEY_SIG_MAX + 16);
		ipc_put_bytes(&b, sig, siglen);
		if (ipc_send(fd, IPC_KEY_SIGNATURE, m.reqid, 0, &b, -1) < 0)
			return 0x80;
		buf_free(&b);
	}
}

/* With keyd: the key file is never opened (its path does not exist), the
 * provider hands the stand-in a whole TLS 1.3 CertificateVerify and a
 * whole TLS 1.2 ServerKeyExchange, and with keyd gone a handshake fails
 * instead of signing some other way. */
static void
test_keyd(void)
{
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(fake_keyd(sv[1], key));
	}
	close(sv[1]);
	CHECK(dup2(sv[0], CLOISTER_FD_KEYD) == CLOISTER_FD_KEYD);
	close(sv[0]);
	struct keyd_cert_entry e;
	memset(&e, 0, sizeof(e));
	snprintf(e.name, sizeof(e.name), "default");
	snprintf(e.chain, sizeof(e.chain), "%s", cert);
	snprintf(e.key, sizeof(e.key), "/nonexistent/key.pem");
	char err[512];
	struct tls_server *srv = tls_server_new_keyd(&e, 1, err, sizeof(err));
	CHECK(srv != NULL);
	if (srv == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	struct pair p;
	CHECK(pair_open(&p, srv, 0) == 0);
	CHECK(handshake(&p));
	CHECK(strcmp(tls_version(p.s), "TLSv1.3") == 0);
	pair_close(&p);
	CHECK(pair_open(&p, srv, TLS1_2_VERSION) == 0);
	CHECK(handshake(&p));
	CHECK(strcmp(tls_version(p.s), "TLSv1.2") == 0);
	pair_close(&p);
	close(CLOISTER_FD_KEYD);
	int status = 0;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) &&
	    WEXITSTATUS(status) == (KEYD_IN_TLS13_CV | KEYD_IN_TLS12_SKE));
	/* keyd gone: no signature, no handshake */
	CHECK(pair_open(&p, srv, 0) == 0);
	CHECK(!handshake(&p));
	pair_close(&p);
	tls_server_free(srv);
}

static void
test_bad_files(void)
{
	char err[512];
	CHECK(tls_server_new("/nonexistent/cert", key, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "certificate") != NULL);
	CHECK(tls_server_new(cert, key2, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "key") != NULL);
}

/* With keyd the chain file is read before confinement (a missing one stops
 * the worker there) and parsed by the first session (a broken one fails
 * that session, logged). */
static void
test_keyd_chain_files(void)
{
	struct keyd_cert_entry e;
	memset(&e, 0, sizeof(e));
	snprintf(e.name, sizeof(e.name), "default");
	snprintf(e.chain, sizeof(e.chain), "/nonexistent/chain.pem");
	char err[512];
	CHECK(tls_server_new_keyd(&e, 1, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "/nonexistent/chain.pem") != NULL);
	snprintf(e.chain, sizeof(e.chain), "%s/broken.pem", dir);
	FILE *f = fopen(e.chain, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs("-----BEGIN CERTIFICATE-----\nnot base64\n"
	    "-----END CERTIFICATE-----\n", f);
	fclose(f);
	struct tls_server *srv = tls_server_new_keyd(&e, 1, err, sizeof(err));
	CHECK(srv != NULL);
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(srv == NULL || tls_conn_new(srv, sv[0]) == NULL);
	close(sv[0]);
	close(sv[1]);
	tls_server_free(srv);
}

int
main(void)
{
	if (make_cert() < 0) {
		fprintf(stderr, "openssl CLI unavailable\n");
		return 77;
	}
	char err[512];
	struct tls_server *srv = tls_server_new(cert, key, err, sizeof(err));
	CHECK(srv != NULL);
	if (srv == NULL) {
		fprintf(stderr, "%s\n", err);
		return check_done("tls");
	}
	test_roundtrip(srv);
	test_old_protocols_refused(srv);
	test_no_renegotiation(srv);
	test_sendfile(srv);
	test_bad_files();
	tls_server_free(srv);
	test_keyd();
	test_keyd_chain_files();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	return check_done("tls");
}
