/*
 * tls_worker: the start-up every client-facing TLS worker (imapd, jmapd,
 * managesieved) goes through, around common/worker.h's skeleton, so that
 * each gets the
 * same process before the client's first byte:
 *
 *   tls_worker_start()      malloc tuning, the config on the heap,
 *                           worker_start(), OpenSSL without openssl.cnf
 *                           and without its error strings
 *   ...                     the worker reads its options from tw->cfg
 *   tls_worker_load_tls()   certificate chains (keys, or keyd's chains)
 *   tls_worker_confine()    what must be loaded while files can be read
 *                           (charsets, libcrypto's one-time set-up), the
 *                           config freed, then confine and CTL_READY
 *   tls_worker_take_conn()  the one client, non-blocking, named in TLS
 *                           log lines
 */
#ifndef CLOISTER_TLS_WORKER_H
#define CLOISTER_TLS_WORKER_H

#include "config.h"
#include "worker.h"

struct tls_server;

struct tls_worker {
	struct worker w;
	/* Large (every service's options): on the heap only until
	 * tls_worker_confine, so that an idle session does not keep it. */
	struct config *cfg;
	const struct config_service *svc;   /* points into cfg */
	/* kept of the listeners once cfg is freed: each one's TLS mode */
	enum config_tls listener_tls[CONFIG_MAX_LISTENERS];
	char listener_name[CONFIG_MAX_LISTENERS][CONFIG_NAME_MAX];
};

/* Start the connection-role worker ident. Dies with a message on error. */
void tls_worker_start(struct tls_worker *tw, int argc, char **argv,
    const char *ident);

/* The service's TLS server (tls_config.h), NULL if no listener speaks TLS;
 * dies if it cannot be loaded. who names the service in messages. Call
 * before tls_worker_confine: the files are read now, as root. */
struct tls_server *tls_worker_load_tls(const struct tls_worker *tw,
    const char *who);

/* Preload the iconv converters charsets names (NULL-terminated; NULL: the
 * default list, charset.h) and seal the charset table, run libcrypto's
 * one-time set-up, free the config, ignore SIGPIPE, confine, trim the
 * heap and tell cloisterd the worker is ready. */
void tls_worker_confine(struct tls_worker *tw, const char *const *charsets);

/* Take the one client (worker_take_conn), make its socket non-blocking
 * and name it in TLS log lines. */
void tls_worker_take_conn(const struct tls_worker *tw, struct worker_conn *c);

/* The listener c came in on: its TLS mode, and in *plaintext_auth
 * whether passwords may cross without TLS — only where they cannot leave
 * the machine: a plain listener, both ends on loopback, and allow (the
 * service's loopback-plaintext-auth). Dies when the listener speaks TLS
 * and srv (tls_worker_load_tls) is NULL. */
enum config_tls tls_worker_listener(const struct tls_worker *tw,
    const struct worker_conn *c, const struct tls_server *srv, bool allow,
    bool *plaintext_auth);

#endif
