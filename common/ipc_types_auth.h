/*
 * authd messages (imapd/jmapd <-> authd on CLOISTER_FD_AUTH). Fields and
 * flows: docs/auth-protocol.md. Included by ipc_types.h only.
 *
 *   AUTH_MECHS      ->  (no fields)
 *                   <-  u32 n, then n x (str name, u32 flags)
 *   AUTH_START      ->  str mech [, bytes initial-response]
 *   AUTH_STEP       ->  bytes response
 *   AUTH_CHALLENGE  <-  bytes challenge
 *   AUTH_SUCCESS    <-  str user, bytes ticket, u64 expiry [, bytes final]
 *   AUTH_FAILURE    <-  u32 reason (enum auth_fail), str text
 *   AUTH_RCPT       ->  str user        (a delivery worker only)
 *                   <-  AUTH_SUCCESS (no final data): the user is in the
 *                       password database; the ticket, bound to that
 *                       worker, lets stored create the user's store
 *                       (STORE_RCPT_PROVISION) and nothing else;
 *                       AUTH_FAILURE CREDENTIALS: no such user
 *   AUTH_CLIENT_ADDR -> bytes sockaddr (AF_INET or AF_INET6)
 *                   <-  (no fields): taken
 *   AUTH_SESSION_MINT -> (no fields), after AUTH_SUCCESS by a password
 *                       or an app token, once per channel
 *                   <-  AUTH_SESSION_TOKEN: str token, u64 lifetime
 *                       (seconds); the token logs in as the pseudo-
 *                       mechanism X-CLOISTER-SESSION that long
 *
 * An optional trailing field is absent when there is no data and present
 * (possibly empty) when there is: SASL tells "no initial response" from
 * "an empty one". The worker's identity is never a field: authd takes it
 * from the supervisor's CTL_PEER record for the channel.
 */
#ifndef CLOISTER_IPC_TYPES_AUTH_H
#define CLOISTER_IPC_TYPES_AUTH_H

#define IPC_AUTH_TYPES(X)                                                  \
	X(AUTH_MECHS, 100)     /* -> list of mechanisms */                 \
	X(AUTH_START, 101)     /* mech, optional initial response */       \
	X(AUTH_STEP, 102)      /* client response */                       \
	X(AUTH_CHALLENGE, 103) /* <- server challenge, continue */         \
	X(AUTH_SUCCESS, 104)   /* <- user, ticket, final server data */    \
	X(AUTH_FAILURE, 105)   /* <- reason */                             \
	X(AUTH_RCPT, 106)      /* does this recipient exist (delivery) */ \
	X(AUTH_CLIENT_ADDR, 107) /* an MTA's client, on a local channel */ \
	X(AUTH_SESSION_MINT, 108) /* a web session token for this login */ \
	X(AUTH_SESSION_TOKEN, 109) /* <- str token, u64 lifetime */

#define AUTH_MECH_NAME_MAX 20   /* RFC 4422 3.1: 1-20 of [A-Z0-9-_] */
#define AUTH_MECHS_MAX 16       /* entries in an AUTH_MECHS reply */
#define AUTH_DATA_MAX 16384     /* a client response or server challenge */
#define AUTH_TEXT_MAX 200       /* AUTH_FAILURE text */

/* AUTH_MECHS flags of one mechanism. */
enum auth_mech_flag {
	AUTH_MECH_PLAINTEXT = 1u << 0,  /* the password crosses in clear
	                                 * (PLAIN, LOGIN): offer under TLS only */
};

/* AUTH_FAILURE reasons. */
enum auth_fail {
	AUTH_FAIL_CREDENTIALS = 1, /* wrong user or password (delayed) */
	AUTH_FAIL_RATE = 2,        /* too many recent failures for this user
	                            * or client address (delayed) */
	AUTH_FAIL_MECH = 3,        /* mechanism not offered */
	AUTH_FAIL_PROTOCOL = 4,    /* the client's SASL data was malformed or
	                            * too long (delayed) */
	AUTH_FAIL_TEMPORARY = 5,   /* authd could not check now */
	AUTH_FAIL_DONE = 6,        /* this instance already logged in once */
};

#endif
