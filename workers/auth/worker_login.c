/* worker_login: see worker_login.h. */
#include "worker_login.h"

#include "config.h"
#include "session_log.h"
#include "stats.h"
#include "store_login.h"

#include <stdarg.h>
#include <unistd.h>

void
worker_login_fds_init(struct worker_login_fds *f, unsigned shards)
{
	f->store_shards = shards;
	f->auth_fd = CLOISTER_FD_AUTH;
	for (size_t i = 0; i < CLOISTER_MAX_SHARDS; i++)
		f->store_fd[i] = i < shards ? CLOISTER_FD_STORE((int)i) : -1;
}

struct auth_client *
worker_login_authd(const struct worker_login_fds *f)
{
	static struct auth_client ac;   /* one session per process */
	if (f->auth_fd >= 0 && auth_client_init(&ac, f->auth_fd) == 0)
		return &ac;
	return NULL;
}

int
worker_login_implicit_tls(struct client_conn *conn, int tls_mode,
    struct tls_server *tls, unsigned timeout_s, bool *tls_active,
    const char **end_reason)
{
	if (tls_mode != TLS_IMPLICIT)
		return 0;
	if (tls == NULL ||
	    client_conn_start_tls(conn, tls, (int)timeout_s * 1000) < 0) {
		*end_reason = "tls-handshake";
		return -1;
	}
	*tls_active = true;
	return 0;
}

static void login_log(const char *user, const struct sockaddr_storage *peer,
    socklen_t peerlen, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void
login_log(const char *user, const struct sockaddr_storage *peer,
    socklen_t peerlen, const char *event, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	session_vlog(LOG_LVL_INFO, event, user, peer, peerlen, fmt, ap);
	va_end(ap);
}

int
worker_login_starttls(struct client_conn *conn, struct tls_server *tls,
    unsigned timeout_s, const char *user, const struct sockaddr_storage *peer,
    socklen_t peerlen, const char **end_reason)
{
	size_t dropped;
	int rc = client_conn_starttls(conn, tls, (int)timeout_s * 1000, &dropped);
	if (dropped > 0)
		login_log(user, peer, peerlen, "starttls", "dropped=%zu (bytes"
		    " pipelined in clear after STARTTLS)", dropped);
	if (rc == -2)
		*end_reason = "tls-handshake";
	return rc < 0 ? -1 : 0;
}

int
worker_login_store(const struct worker_login_fds *f,
    const struct auth_reply *r, struct auth_client **ac,
    struct store_conn **sc, char *bound, size_t boundsize)
{
	int rc = store_login(f->store_fd, CLOISTER_MAX_SHARDS, f->store_shards,
	    r->user, r->ticket, r->ticket_len, sc, bound, boundsize);
	if (rc < 0)
		return rc;
	if (*ac != NULL) {
		auth_client_close(*ac);
		*ac = NULL;
	}
	close(f->auth_fd);
	return 0;
}

void
worker_session_end(const struct client_conn *conn, struct auth_client *ac,
    struct store_conn *sc)
{
	stats_add(ST_BYTES_IN, conn->bytes_in);
	stats_add(ST_BYTES_OUT, conn->bytes_out);
	stats_flush();
	if (ac != NULL)
		auth_client_close(ac);
	if (sc != NULL)
		store_client_close(sc);
}

void
worker_login_ok(const struct client_conn *conn, bool tls_active,
    const char *user, const struct sockaddr_storage *peer, socklen_t peerlen)
{
	stats_add(ST_AUTH_OK, 1);
	login_log(user, peer, peerlen, "login", "tls=%s%s%s", tls_active ?
	    tls_version(conn->tls) : "no", tls_active ? "/" : "",
	    tls_active ? tls_cipher(conn->tls) : "");
}
