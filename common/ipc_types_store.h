/*
 * stored messages (workers, cloisterctl <-> stored). Fields, senders,
 * replies and errors: docs/store-protocol.md. Included by ipc_types.h only.
 */
#ifndef CLOISTER_IPC_TYPES_STORE_H
#define CLOISTER_IPC_TYPES_STORE_H

#define IPC_STORE_TYPES(X)                                                 \
	X(STORE_HELLO, 200)    /* present a ticket; binds the connection */

#endif
