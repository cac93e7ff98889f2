/* tls_worker: the shared start-up of the TLS connection workers (see
 * tls_worker.h). */
#include "tls_worker.h"
#include "charset.h"
#include "conn_addr.h"
#include "log.h"
#include "tls.h"
#include "tls_config.h"

#include <malloc.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

void
tls_worker_start(struct tls_worker *tw, int argc, char **argv,
    const char *ident)
{
	/* big blocks come from mmap and go back to the kernel when freed: the
	 * start-up config, the IPC receive buffers of authd and the store */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	tw->cfg = calloc(1, sizeof(*tw->cfg));
	if (tw->cfg == NULL)
		log_fatal("out of memory");
	worker_start(&tw->w, argc, argv, ident, ROLE_CONNECTION, tw->cfg,
	    &tw->svc);
	for (size_t i = 0; i < tw->svc->nlisteners &&
	    i < CONFIG_MAX_LISTENERS; i++) {
		tw->listener_tls[i] = tw->svc->listeners[i].tls;
		memcpy(tw->listener_name[i], tw->svc->listeners[i].name,
		    CONFIG_NAME_MAX);
	}
	/* no openssl.cnf (nothing of ours is configured there) and no error
	 * strings table (tls_err.c names the reasons a server meets; others
	 * are logged as codes for `openssl errstr`): both cost heap in every
	 * session. Set here, before any other OpenSSL call could choose the
	 * defaults; libssl's own set-up waits for the first TLS session
	 * (tls.c) */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL);
}

/* The certificate is needed if any listener speaks TLS; read it now, as
 * root, before the chroot hides it (tls_config.h: with 'set keyd yes' only
 * the chains, and keyd makes every signature). */
struct tls_server *
tls_worker_load_tls(const struct tls_worker *tw, const char *who)
{
	char err[CONFIG_ERR_MAX];
	struct tls_server *srv = tls_server_for_service(tw->cfg, tw->svc,
	    tw->w.keyd, who, err, sizeof(err));
	if (srv == NULL && err[0] != '\0')
		log_fatal("%s", err);
	return srv;
}

/* iconv modules are files: the converters are opened while they can be
 * read (each costs private memory in every session: charset.h). */
static void
preload_charsets(const char *const *names)
{
	int want = 0;
	for (const char *const *n = names; n != NULL && *n != NULL; n++)
		want++;
	if (charset_preload(names) < want)
		log_warn("some charsets are not available");
	charset_seal();
}

void
tls_worker_confine(struct tls_worker *tw, const char *const *charsets)
{
	preload_charsets(charsets);
	/* libcrypto's provider set-up (~0.4 ms, ~60 KiB) is left to its first
	 * use, confined (the policies allow the futex wake that ends it): a
	 * session that never speaks TLS or hashes does not pay for it */
	free(tw->cfg);
	tw->cfg = NULL;
	tw->svc = NULL;
	signal(SIGPIPE, SIG_IGN);
	worker_confine(&tw->w, NULL, 0);
	/* what start-up freed goes back to the kernel before the long wait */
	malloc_trim(0);
	worker_ready();
}

void
tls_worker_take_conn(const struct tls_worker *tw, struct worker_conn *c)
{
	worker_take_conn(&tw->w, c);
	conn_set_nonblocking(c->fd);
	char addr[LOG_ADDR_MAX];   /* TLS failures name the client */
	tls_set_client(log_addr(c->peerlen > 0 ? &c->peer : NULL, addr));
}

enum config_tls
tls_worker_listener(const struct tls_worker *tw, const struct worker_conn *c,
    const struct tls_server *srv, bool allow, bool *plaintext_auth)
{
	uint32_t li = c->listener;   /* < nlisteners: worker_conn_decode */
	enum config_tls mode = tw->listener_tls[li];
	if (mode != TLS_PLAIN && srv == NULL)
		log_fatal("listener %s: TLS without a certificate",
		    tw->listener_name[li]);
	*plaintext_auth = allow && mode == TLS_PLAIN &&
	    conn_addr_loopback(&c->peer) && conn_addr_loopback(&c->local);
	return mode;
}
