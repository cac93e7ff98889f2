/*
 * ipc_types: every message type that crosses a Cloister process boundary,
 * in one enum, with one protocol version. The lists are kept per area in
 * ipc_types_*.h (X-macro lists, included only here) so that each protocol's
 * messages sit together; the enum below is the single place they all meet.
 * Change any message -> bump IPC_VERSION, the docs (a test checks that
 * every name is documented in docs/) and the fingerprint of these lists
 * (scripts/ipc-fingerprint --update; meson test fails until both are done).
 * IPC_VERSION travels in every record's header, a u16.
 *
 *   value range   area                          list             documented in
 *   1-49          generic replies               here             docs/ipc.md
 *   50-99         supervisor control (CTL_*)    ipc_types_ctl.h  docs/ipc.md
 *   100-199       authd (AUTH_*)                ipc_types_auth.h docs/auth-protocol.md
 *   200-499       stored (STORE_*)              ipc_types_store.h docs/store-protocol.md
 *   500-549       keyd (KEY_*)                  ipc_types_key.h  docs/keyd.md
 *
 * X(NAME, value): values are stable numbers; lower-case names appear in logs
 * and in the policy files' store-op lines.
 */
#ifndef CLOISTER_IPC_TYPES_H
#define CLOISTER_IPC_TYPES_H

#include <stdint.h>

#include "ipc_types_auth.h"
#include "ipc_types_ctl.h"
#include "ipc_types_key.h"
#include "ipc_types_store.h"

#define IPC_VERSION 12

#define IPC_GENERIC_TYPES(X)                                               \
	X(OK, 1)          /* success, no data */                           \
	X(ERROR, 2)       /* u32 code, str message */                      \
	X(PING, 3)        /* liveness; any payload is echoed */            \
	X(PONG, 4)

#define IPC_MESSAGE_TYPES(X)                                               \
	IPC_GENERIC_TYPES(X)                                               \
	IPC_CTL_TYPES(X)                                                   \
	IPC_AUTH_TYPES(X)                                                  \
	IPC_STORE_TYPES(X)                                                 \
	IPC_KEY_TYPES(X)

enum ipc_type {
	IPC_NONE = 0,
#define IPC_ENUM_ITEM(name, value) IPC_##name = value,
	IPC_MESSAGE_TYPES(IPC_ENUM_ITEM)
#undef IPC_ENUM_ITEM
	IPC_TYPE_LIMIT
};

/* Error codes carried by IPC_ERROR (u32 code, str message). */
enum ipc_error {
	IPC_ERR_MALFORMED = 1,    /* could not decode the request */
	IPC_ERR_UNEXPECTED = 2,   /* type not allowed from this sender/state */
	IPC_ERR_DENIED = 3,       /* not authorized (ticket, policy, owner) */
	IPC_ERR_NOTFOUND = 4,
	IPC_ERR_EXISTS = 5,
	IPC_ERR_QUOTA = 6,        /* over quota */
	IPC_ERR_CONFLICT = 7,     /* e.g. UNCHANGEDSINCE failed */
	IPC_ERR_TEMPORARY = 8,    /* try again (busy, frozen past a limit) */
	IPC_ERR_INTERNAL = 9,
	IPC_ERR_LIMIT = 10,       /* a size or count limit, or a work budget */
	IPC_ERR_NOSPACE = 11,     /* the store's disk is full: nothing written */
};

/* "ping" for IPC_PING; NULL for an unknown value. */
const char *ipc_type_name(uint32_t type);
/* IPC_NONE if the lower-case name is unknown. */
uint32_t ipc_type_by_name(const char *name);

#endif
