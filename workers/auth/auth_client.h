/*
 * auth_client: the worker side of the authd protocol (docs/auth-protocol.md).
 *
 * imapd and jmapd relay SASL through it: they never see the password
 * database, only the client's SASL data going in and authd's challenges,
 * verdict and ticket coming out. Blocking request/reply on the fd the
 * supervisor handed the worker (CLOISTER_FD_AUTH): one request in flight,
 * each reply matched to it by request id and by type. Any transport or
 * protocol fault is AUTH_ST_ERROR; the worker should then end the session
 * and exit (crash-only: the supervisor restarts authd and the worker).
 *
 *   struct auth_client ac;
 *   struct auth_reply r;
 *   auth_client_init(&ac, CLOISTER_FD_AUTH);
 *   auth_client_mechs(&ac, ...)                   -> CAPABILITY AUTH=...
 *   st = auth_client_start(&ac, "PLAIN", ir, irlen, &r);   (ir NULL: none)
 *   while (st == AUTH_ST_CHALLENGE) {
 *       send r.data to the client ("+ base64"), read its answer;
 *       st = auth_client_step(&ac, answer, n, &r);
 *   }
 *   AUTH_ST_SUCCESS: r.user, r.ticket (for STORE_HELLO), r.data if
 *                    r.has_data (SCRAM's server signature for the client)
 *   AUTH_ST_FAILURE: r.reason (enum auth_fail), r.text
 *   auth_reply_wipe(&r); auth_client_close(&ac);
 *
 * Failures come back after authd's failure delay (seconds): the call
 * blocks that long. A client abort ("*") needs no message: the next
 * auth_client_start() replaces an unfinished exchange.
 */
#ifndef CLOISTER_AUTH_CLIENT_H
#define CLOISTER_AUTH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ipc.h"
#include "ticket.h"

/* How long to wait for authd's reply: the failure delay plus headroom. */
#define AUTH_CLIENT_TIMEOUT_MS 30000

enum auth_status {
	AUTH_ST_CHALLENGE,  /* r->data: send it to the client, then step */
	AUTH_ST_SUCCESS,    /* r->user, r->ticket, r->expiry, r->data */
	AUTH_ST_FAILURE,    /* r->reason, r->text; the exchange is over */
	AUTH_ST_ERROR,      /* authd gone or broke the protocol: exit */
};

struct auth_mech {
	char name[AUTH_MECH_NAME_MAX + 1];
	uint32_t flags;     /* enum auth_mech_flag */
};

struct auth_reply {
	uint8_t data[AUTH_DATA_MAX];   /* challenge, or final server data */
	size_t data_len;
	bool has_data;                 /* SUCCESS: final data present */
	char user[TICKET_USER_MAX + 1];
	uint8_t ticket[TICKET_MAX];
	size_t ticket_len;
	uint64_t expiry;               /* ticket expiry, unix seconds */
	uint32_t reason;               /* enum auth_fail */
	char text[AUTH_TEXT_MAX + 1];
};

struct auth_client {
	int fd;
	uint32_t next_reqid;
	struct ipc_msg *msg;           /* receive buffer (heap, wiped) */
	struct auth_mech mechs[AUTH_MECHS_MAX];
	size_t nmechs;                 /* cached after the first AUTH_MECHS */
	bool have_mechs;
	bool broken;                   /* a fault happened: every call errors */
};

/* 0, or -1 if the buffer cannot be allocated. Does not take ownership of
 * fd (the worker keeps its fixed fds). */
int auth_client_init(struct auth_client *ac, int fd);
/* Wipe and free the buffers. */
void auth_client_close(struct auth_client *ac);

/* The mechanisms authd offers (asked once, then cached). -1 on a fault. */
int auth_client_mechs(struct auth_client *ac, const struct auth_mech **mechs,
    size_t *n);
/* Find an offered mechanism by name (case-insensitive), or NULL. */
const struct auth_mech *auth_client_find_mech(struct auth_client *ac,
    const char *name);

/* Begin an exchange. ir == NULL: no initial response; ir != NULL with
 * irlen 0: an empty one (IMAP's "="). */
enum auth_status auth_client_start(struct auth_client *ac, const char *mech,
    const void *ir, size_t irlen, struct auth_reply *r);
/* Answer the last challenge. */
enum auth_status auth_client_step(struct auth_client *ac, const void *resp,
    size_t len, struct auth_reply *r);

/* Delivery workers only: is user in the password database? SUCCESS:
 * r->user (canonical) and r->ticket for STORE_RCPT_PROVISION; FAILURE
 * with AUTH_FAIL_CREDENTIALS: no such user. */
enum auth_status auth_client_rcpt(struct auth_client *ac, const char *user,
    struct auth_reply *r);

/* An MTA's worker only (mta-authd, whose own client is the MTA on a unix
 * socket): the address of the client the next exchanges are for, as the
 * MTA reported it (AF_INET or AF_INET6), for authd's limits and logs.
 * authd refuses it on any other channel. -1 on a fault or a refusal. */
int auth_client_address(struct auth_client *ac, const struct sockaddr *sa,
    size_t len);

/* Zero the reply (the ticket and any SASL data in it). */
/* After AUTH_ST_SUCCESS by a password or an app token: a web session
 * token for that user (authd_session_token.h) into tok (size bytes) and
 * its lifetime (seconds from now). 0; -1 if authd refused (the channel
 * stays usable) or the channel broke. */
int auth_client_session_mint(struct auth_client *ac, char *tok, size_t size,
    uint64_t *lifetime_s);
void auth_reply_wipe(struct auth_reply *r);

/* "credentials", "rate", ... for an enum auth_fail value. */
const char *auth_fail_name(uint32_t reason);

#endif
