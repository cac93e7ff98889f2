/*
 * ms_session: one ManageSieve client (RFC 5804) per process — the states
 * (not authenticated -> authenticated -> logout), the command loop, the
 * answers. Handlers: ms_auth.c (STARTTLS, AUTHENTICATE), ms_unauth.c
 * (UNAUTHENTICATE: fresh channels from cloisterd), ms_scripts.c (the script
 * commands, on the user's store channel).
 */
#ifndef CLOISTER_MS_SESSION_H
#define CLOISTER_MS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "auth_client.h"
#include "client_conn.h"
#include "log.h"
#include "ms_parse.h"
#include "store_client.h"
#include "tls.h"
#include "worker_login.h"

enum ms_state { MS_ST_NOT_AUTH = 1, MS_ST_AUTH = 2, MS_ST_LOGOUT = 4 };

/* Everything main() decides before the session starts. */
struct ms_options {
	int tls_mode;                 /* enum config_tls of the listener */
	struct tls_server *tls;       /* NULL: no certificate loaded */
	bool plaintext_auth;          /* PLAIN without TLS (loopback) */
	unsigned prelogin_timeout_s;
	unsigned idle_timeout_s;
	uint64_t max_script_size;     /* bytes of a script's source */
	unsigned max_relogins;        /* 'set max-relogins N': UNAUTHENTICATEs
	                               * per connection; 0: not offered */
	struct worker_login_fds login;   /* the channels a login uses */
	char server_name[64];
};

struct ms_session {
	enum ms_state state;
	const struct ms_options *opt;
	struct client_conn conn;
	struct ms_reader rd;
	bool tls_active;
	bool logged_in_once;          /* logged in on the current channels */
	/* the current channels: from opt, then from each UNAUTHENTICATE;
	 * -1 once closed or owned by sc */
	struct worker_login_fds login;
	unsigned relogins;            /* UNAUTHENTICATEs granted */
	struct auth_client *ac;       /* until login; then closed */
	struct store_conn *sc;        /* after login */
	char user[STORE_USER_MAX + 1];
	struct sockaddr_storage peer;
	socklen_t peerlen;
	unsigned failed_auths;
	bool bye_sent;
	int64_t started_ms;
	const char *end_reason;
};

void ms_session_run(const struct ms_options *opt, int fd,
    const struct sockaddr_storage *peer, socklen_t peerlen);

/* ---- answers ---- */
/* A string as the protocol writes it: quoted when short and plain,
 * otherwise a literal {n}. */
void ms_put_string(struct buf *b, const char *s, size_t len);
/* "OK|NO|BYE [(CODE)] "text"" CRLF; code may be NULL. */
void ms_reply(struct ms_session *s, const char *status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The capability lines (greeting, CAPABILITY, after STARTTLS). */
void ms_capabilities(struct ms_session *s);
/* A store failure answered with its response code; true when the session
 * must end (the store channel is gone). */
bool ms_store_error(struct ms_session *s, int rc, const char *what);
void ms_log(struct ms_session *s, enum log_level lvl, const char *event,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- handlers: 0, or -1 to end the session ---- */
int ms_cmd_starttls(struct ms_session *s, const struct ms_token *a, int n);
int ms_cmd_authenticate(struct ms_session *s, const struct ms_token *a,
    int n);
int ms_cmd_unauthenticate(struct ms_session *s, const struct ms_token *a,
    int n);
int ms_cmd_putscript(struct ms_session *s, const struct ms_token *a, int n);
int ms_cmd_checkscript(struct ms_session *s, const struct ms_token *a,
    int n);
int ms_cmd_getscript(struct ms_session *s, const struct ms_token *a, int n);
int ms_cmd_setactive(struct ms_session *s, const struct ms_token *a, int n);
int ms_cmd_listscripts(struct ms_session *s, const struct ms_token *a,
    int n);
int ms_cmd_deletescript(struct ms_session *s, const struct ms_token *a,
    int n);
int ms_cmd_renamescript(struct ms_session *s, const struct ms_token *a,
    int n);
int ms_cmd_havespace(struct ms_session *s, const struct ms_token *a, int n);

/* Read until the reader has an event (flushing answers and waiting as
 * the session's state allows); -1 when the connection ended or timed out
 * (a BYE was queued for a timeout). */
int ms_next_event(struct ms_session *s, enum ms_rd_event *ev);
/* Whether UNAUTHENTICATE is offered now (configured, not used up). */
bool ms_unauth_offered(const struct ms_session *s);
/* Limits after login, from the options. */
void ms_logged_in_limits(const struct ms_options *o, struct ms_limits *lim);

#endif
