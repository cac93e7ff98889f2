/* worker_login: the steps of a client's login that the SASL connection
 * workers (imapd, managesieved) take alike, around their protocols' own
 * replies: the STARTTLS handshake, the channels a login uses, the store's
 * side once authd said yes (store_login.h), and the line that says who
 * logged in; and what every connection worker's session (jmapd's too)
 * releases at its end. */
#ifndef CLOISTER_WORKER_LOGIN_H
#define CLOISTER_WORKER_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "auth_client.h"
#include "client_conn.h"
#include "fds.h"
#include "store_client.h"

/* The channels a login uses, as cloisterd hands them over. */
struct worker_login_fds {
	unsigned store_shards;        /* 1..CLOISTER_MAX_SHARDS */
	int auth_fd;                  /* CLOISTER_FD_AUTH */
	int store_fd[CLOISTER_MAX_SHARDS];   /* CLOISTER_FD_STORE(i), -1 if absent */
};

void worker_login_fds_init(struct worker_login_fds *f, unsigned shards);

/* The session's start. authd's channel, when cloisterd gave one (NULL
 * otherwise: a login is then answered as unavailable). */
struct auth_client *worker_login_authd(const struct worker_login_fds *f);
/* On an implicit-TLS listener (tls_mode TLS_IMPLICIT) the handshake,
 * before the greeting: 0 (*tls_active set, or another mode); -1 the
 * session ends, *end_reason "tls-handshake". */
int worker_login_implicit_tls(struct client_conn *conn, int tls_mode,
    struct tls_server *tls, unsigned timeout_s, bool *tls_active,
    const char **end_reason);

/* STARTTLS once the protocol's go-ahead is queued: it is flushed, bytes
 * the client pipelined in clear are dropped (and logged), then the
 * handshake. 0: TLS is up; -1: the session ends, *end_reason set to
 * "tls-handshake" when the handshake failed. */
int worker_login_starttls(struct client_conn *conn, struct tls_server *tls,
    unsigned timeout_s, const char *user, const struct sockaddr_storage *peer,
    socklen_t peerlen, const char **end_reason);

/* authd accepted r: its ticket bound to the user's store shard (bound:
 * the name the store bound), then authd's channel closed (*ac too), as
 * authd serves one login per instance. Returns as store_login. */
int worker_login_store(const struct worker_login_fds *f,
    const struct auth_reply *r, struct auth_client **ac,
    struct store_conn **sc, char *bound, size_t boundsize);

/* A login completed: counted, and its line logged
 * ("login: user=U client=A tls=VERSION/CIPHER" or "tls=no"). */
void worker_login_ok(const struct client_conn *conn, bool tls_active,
    const char *user, const struct sockaddr_storage *peer, socklen_t peerlen);

/* The session is over: its bytes counted and the counters flushed, then
 * the channels it still holds closed (authd's before login, the store's
 * after; either may be NULL). The connection itself is the caller's. */
void worker_session_end(const struct client_conn *conn,
    struct auth_client *ac, struct store_conn *sc);

#endif
