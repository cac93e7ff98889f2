/*
 * ipc_types: every message type that crosses a Cloister process boundary,
 * in one list, with one protocol version. Change any message -> bump
 * IPC_VERSION and docs/ (a test checks every name here is documented).
 *
 * X(NAME, value) — values are stable numbers; names are used in logs and in
 * the policy files' store-op lines (lower case).
 */
#ifndef CLOISTER_IPC_TYPES_H
#define CLOISTER_IPC_TYPES_H

#include <stdint.h>

#define IPC_VERSION 1

#define IPC_MESSAGE_TYPES(X)                                               \
	/* generic replies */                                              \
	X(OK, 1)                                                           \
	X(ERROR, 2)                                                        \
	X(PING, 3)                                                         \
	X(PONG, 4)

enum ipc_type {
	IPC_NONE = 0,
#define IPC_ENUM_ITEM(name, value) IPC_##name = value,
	IPC_MESSAGE_TYPES(IPC_ENUM_ITEM)
#undef IPC_ENUM_ITEM
	IPC_TYPE_LIMIT
};

/* "ping" for IPC_PING; NULL for an unknown value. */
const char *ipc_type_name(uint32_t type);
/* IPC_NONE if the lower-case name is unknown. */
uint32_t ipc_type_by_name(const char *name);

#endif
