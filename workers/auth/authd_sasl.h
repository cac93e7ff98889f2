/*
 * authd_sasl: authd's use of libsasl2 — server side, sasldb2 only.
 *
 * authd_sasl_init() runs before confinement: it loads libsasl2 and only the
 * plugins the configured mechanisms need (plus sasldb), reads no SASL
 * config file (the cloister config is the only source of options), checks
 * that SCRAM nonces come from getrandom (sasl_rand.c), and fixes the
 * mechanism list. What libsasl2 frees is wiped by authd_wipe.c. After that, an
 * exchange is sasl_server_new/start/step/dispose on memory and on the
 * sasldb2 file inside the chroot.
 */
#ifndef CLOISTER_AUTHD_SASL_H
#define CLOISTER_AUTHD_SASL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sasl/sasl.h>

#include "buf.h"
#include "ipc.h"
#include "ticket.h"

#define AUTHD_REALM_MAX 256
#define AUTHD_MECHLIST_MAX 256
#define AUTHD_MAX_STEPS 8
#define AUTHD_DETAIL_MAX 160

struct authd_sasl_config {
	/* space-separated; "" = the defaults the installed plugins provide */
	char mechs[AUTHD_MECHLIST_MAX];
	/* default realm; "" = libsasl2's FQDN of this host, as saslpasswd2 */
	char realm[AUTHD_REALM_MAX];
	/* the password database as seen inside the chroot */
	char sasldb_path[128];
	bool debug;
};

struct authd_mech_info {
	char name[AUTH_MECH_NAME_MAX + 1];
	uint32_t flags;          /* enum auth_mech_flag */
};

/* Load and check everything; dies with a message on any problem. */
void authd_sasl_init(const struct authd_sasl_config *cfg);
/* The mechanisms on offer, fixed at init. */
size_t authd_sasl_mechs(const struct authd_mech_info **list);
bool authd_sasl_offers(const char *mech);
/* The default realm in use (from the config or libsasl2). */
const char *authd_sasl_realm(void);

/* Called for each authentication identity before any secret is looked
 * up; returning true refuses it (rate limit). */
typedef bool (*authd_user_gate)(void *ctx, const char *user);

/* One exchange in progress: lives in a channel, must not move. */
struct authd_exchange {
	sasl_conn_t *conn;
	unsigned steps;
	authd_user_gate gate;
	void *gate_ctx;
	bool gated;                          /* the gate refused the user */
	char attempted[TICKET_USER_MAX + 1]; /* authentication id, if seen */
	char mech[AUTH_MECH_NAME_MAX + 1];
	sasl_callback_t callbacks[2];
	/* SCRAM for an unknown user: a decoy server-first message, so that
	 * the exchange fails at the end as for a wrong password instead of
	 * telling at once that the user does not exist */
	bool decoy;
	char decoy_first[256];
};

enum authd_verdict {
	AUTHD_CONTINUE,          /* out: the challenge */
	AUTHD_OK,                /* user; out: final server data if has_out */
	AUTHD_FAIL,              /* reason (enum auth_fail), detail for logs */
};

struct authd_step {
	enum authd_verdict verdict;
	const uint8_t *out;      /* borrowed from libsasl2 until the next call */
	size_t outlen;
	bool has_out;
	uint32_t reason;
	char user[TICKET_USER_MAX + 1];
	char detail[AUTHD_DETAIL_MAX];
};

/* A step refused: reason (enum auth_fail) and the detail for the log.
 * Inline: the token checks are built without the SASL side too. */
static inline void
authd_step_fail(struct authd_step *st, uint32_t reason, const char *detail)
{
	st->verdict = AUTHD_FAIL;
	st->reason = reason;
	(void)buf_strlcpy(st->detail, sizeof(st->detail), detail, strlen(detail));
}

/* Begin (replacing any exchange in x); sasl_service names the protocol
 * ("imap"). has_ir: an initial response was sent (maybe empty). */
void authd_exchange_start(struct authd_exchange *x, const char *sasl_service,
    const char *mech, const uint8_t *ir, size_t irlen, bool has_ir,
    struct authd_step *st);
void authd_exchange_step(struct authd_exchange *x, const uint8_t *resp,
    size_t len, struct authd_step *st);
bool authd_exchange_active(const struct authd_exchange *x);
/* Dispose of the SASL state (its secrets are wiped as they are freed). */
void authd_exchange_end(struct authd_exchange *x);

/* libsasl2's canon_user callback for an exchange (ctx): the default realm
 * stripped, bad names refused, the rate gate asked. */
int authd_sasl_canon(sasl_conn_t *conn, void *ctx, const char *in,
    unsigned inlen, unsigned flags, const char *user_realm, char *out,
    unsigned out_max, unsigned *out_len);

/* authd_rcpt.c: is in[0..n) a user of the password database? On FOUND
 * user holds its canonical name (the one a login's ticket names). */
enum authd_rcpt_result { AUTHD_RCPT_FOUND, AUTHD_RCPT_NONE,
	AUTHD_RCPT_TEMPORARY };
enum authd_rcpt_result authd_rcpt_lookup(const char *in, size_t n,
    char *user, size_t usersize);

/* getrandom draws made through sasl_rand (sasl_rand.c). */
unsigned long authd_rand_calls(void);

#endif
