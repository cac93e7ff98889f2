/*
 * authd messages (imapd/jmapd <-> authd on CLOISTER_FD_AUTH). Fields and
 * flows: docs/auth-protocol.md. Included by ipc_types.h only.
 */
#ifndef CLOISTER_IPC_TYPES_AUTH_H
#define CLOISTER_IPC_TYPES_AUTH_H

#define IPC_AUTH_TYPES(X)                                                  \
	X(AUTH_MECHS, 100)     /* -> list of mechanisms */                 \
	X(AUTH_START, 101)     /* mech, optional initial response */       \
	X(AUTH_STEP, 102)      /* client response */                       \
	X(AUTH_CHALLENGE, 103) /* <- server challenge, continue */         \
	X(AUTH_SUCCESS, 104)   /* <- user, ticket, final server data */    \
	X(AUTH_FAILURE, 105)   /* <- reason */

#endif
