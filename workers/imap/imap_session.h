/*
 * imap_session: one client's IMAP session — the state machine (not
 * authenticated -> authenticated -> selected -> logout), the command loop
 * (read, frame, parse, dispatch through one table, flush once per
 * pipelined batch), timeouts, and the helpers every command handler uses
 * to answer. Handlers live in imap_cmd_*.c; the selected mailbox in
 * imap_view.h.
 */
#ifndef CLOISTER_IMAP_SESSION_H
#define CLOISTER_IMAP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "auth_client.h"
#include "imap_arena.h"
#include "imap_args.h"
#include "client_conn.h"
#include "imap_parse.h"
#include "imap_reader.h"
#include "imap_view.h"
#include "log.h"
#include "store_client.h"
#include "tls.h"
#include "worker_login.h"

enum imap_state {
	IMAP_ST_NOT_AUTH = 1u << 0,
	IMAP_ST_AUTH = 1u << 1,
	IMAP_ST_SELECTED = 1u << 2,
	IMAP_ST_LOGOUT = 1u << 3,
};

/* What ENABLE turned on (RFC 5161). */
enum imap_enabled {
	IMAP_EN_CONDSTORE = 1u << 0,
	IMAP_EN_QRESYNC = 1u << 1,
	IMAP_EN_IMAP4REV2 = 1u << 2,
	IMAP_EN_UTF8 = 1u << 3,
};

#define IMAP_AUTOCREATE_MAX 16

/* Everything main() decides before the session starts (from the config,
 * read as root before confining). */
struct imap_options {
	struct imap_limits lim;
	int tls_mode;                 /* enum config_tls of the listener */
	struct tls_server *tls;       /* NULL: no certificate loaded */
	bool plaintext_auth;          /* LOGIN/PLAIN allowed without TLS */
	unsigned prelogin_timeout_s;  /* default 60 */
	unsigned idle_timeout_s;      /* after login; default 1800 */
	unsigned max_pipeline;        /* commands answered per flush */
	struct worker_login_fds login;   /* the channels a login uses */
	struct {
		char name[128];
		uint32_t use;         /* STORE_USE_* */
	} autocreate[IMAP_AUTOCREATE_MAX];
	size_t nautocreate;
	char server_name[64];         /* for the greeting and ID */
};

struct imap_session {
	enum imap_state state;
	const struct imap_options *opt;
	struct client_conn conn;
	struct imap_reader rd;
	struct imap_arena arena;
	bool tls_active;
	unsigned enabled;             /* enum imap_enabled */
	struct auth_client *ac;       /* until login; then closed */
	struct store_conn *sc;        /* after login */
	char user[STORE_USER_MAX + 1];
	struct imap_view *view;       /* SELECTED: the mailbox */
	struct sockaddr_storage peer, local;
	socklen_t peerlen, locallen;
	bool peer_loopback;
	bool idling;
	unsigned failed_auths;
	/* the command being executed */
	struct imap_cmd *cmd;
	bool bye_sent;
	/* for the line at the end (imap_log.c) */
	int64_t started_ms;
	const char *end_reason;       /* NULL: from the state and connection */
};

/* Serve one client on fd (already connected); returns when the session
 * ends. The caller exits afterwards. */
void imap_session_run(const struct imap_options *opt, int fd,
    const struct sockaddr_storage *peer, socklen_t peerlen,
    const struct sockaddr_storage *local, socklen_t locallen);

/* The parser's allocation limit per command, after login. */
#define IMAP_ARENA_MAX(lim) ((lim)->max_command * 4 + 256 * 1024)

/* Before login: the deadline, the reader's and the kernel's pre-login
 * limits (imap_prelogin.c). _end lifts them at login. */
void imap_prelogin_begin(struct imap_session *s);
void imap_prelogin_end(struct imap_session *s);

/* Log "EVENT: user=U client=ADDR" + the formatted rest (may be NULL), the
 * user made a single token (imap_log.c). */
void imap_log(struct imap_session *s, enum log_level lvl, const char *event,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The one line at the end of the session: who, how long, bytes, why. */
void imap_log_end(struct imap_session *s);
/* What a client hears when SIGTERM ends its session (cloisterd stopping,
 * cloisterctl kick). */
#define IMAP_BYE_SHUTDOWN "* BYE Disconnected by the server administrator"
/* Before confining (sigaction is not in the policy): SIGTERM ends the
 * session named by imap_log_session (NULL: none) with "* BYE" and its
 * line (imap_log.c). */
void imap_log_catch_term(void);
void imap_log_session(struct imap_session *s);

/* ---- for command handlers ---- */

/* The output buffer of the session. */
struct buf *imap_out_buf(struct imap_session *s);
/* "* " + formatted text + CRLF */
void imap_untagged(struct imap_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "tag OK|NO|BAD [code] text" CRLF for the current command. code may be
 * NULL. */
void imap_tagged(struct imap_session *s, const char *status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Map a store error to the usual NO/BAD answer with a response code. */
void imap_tagged_store_error(struct imap_session *s, int rc, const char *what);
/* Flush when the buffer is large; false if the client is gone. */
bool imap_flush_some(struct imap_session *s);
/* Names cross as UTF-8 (IMAP4rev2 / UTF8=ACCEPT enabled). */
bool imap_utf8(const struct imap_session *s);
/* A mailbox argument -> UTF-8 (NUL-terminated, in the arena); NULL after
 * answering NO/BAD when it is not a valid name. */
const char *imap_mailbox_arg(struct imap_session *s, const struct imap_str *m);
/* A CONDSTORE-enabling command (FETCH MODSEQ, CHANGEDSINCE,
 * UNCHANGEDSINCE, SEARCH MODSEQ): enable it, and tell HIGHESTMODSEQ the
 * first time when a mailbox is selected. */
void imap_condstore_on(struct imap_session *s);
/* A store failure that ends the session (transport gone). */
bool imap_store_fatal(int rc);
/* The CAPABILITY list for the current state. */
void imap_capabilities(struct imap_session *s, struct buf *b);

#endif
