/*
 * Supervisor control messages (cloisterd -> authd, stored, workers) on
 * CLOISTER_FD_CONTROL. Only the supervisor sends them (CTL_READY
 * excepted, which only workers send); receivers accept them from that fd
 * alone. Included by ipc_types.h only.
 *
 *   CTL_KEY   u32 version(IPC_VERSION), bytes key(32)
 *             the ticket key, first message to authd and stored
 *   CTL_PEER  str service(<=15), u64 instance, u32 flags; fd: the peer's
 *             socketpair end: "this fd is service S instance I" (to authd
 *             and stored). flags: CTL_PEER_ADMIN (stored only) marks root's
 *             admin-socket connection (cloisterctl); nothing else, and
 *             never a name, gives the store's admin right
 *   CTL_CONN  u32 listener, bytes peer sockaddr, bytes local sockaddr;
 *             fd: the accepted client socket (to a connection worker)
 *   CTL_CLIENT u64 instance, bytes peer sockaddr
 *             to authd: the client address behind a worker instance, for
 *             per-address rate limits (sent before that worker's CTL_CONN)
 *   CTL_READY (no payload; worker -> cloisterd, the one record a worker
 *             sends on its control channel) "started and confined": an
 *             exit before it is a start failure, one after it is not
 *   CTL_LOGGED_IN u64 instance (authd -> cloisterd, on authd's control
 *             channel, once per successful login): that worker instance's
 *             client has logged in, so it no longer counts against the
 *             service's max-prelogin. Fixed size; anything else there is
 *             fatal for authd as for any worker
 */
#ifndef CLOISTER_IPC_TYPES_CTL_H
#define CLOISTER_IPC_TYPES_CTL_H

#define IPC_CTL_PEER_ADMIN 1u   /* CTL_PEER flags: an admin connection */
#define IPC_CTL_PEER_FLAGS IPC_CTL_PEER_ADMIN   /* every flag defined */

#define IPC_CTL_TYPES(X)                                                   \
	X(CTL_KEY, 50)                                                     \
	X(CTL_PEER, 51)                                                    \
	X(CTL_CONN, 52)                                                    \
	X(CTL_CLIENT, 53)                                                  \
	X(CTL_READY, 54)                                                   \
	X(CTL_LOGGED_IN, 55)

#endif
