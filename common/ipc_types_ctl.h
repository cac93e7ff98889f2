/*
 * Supervisor control messages (cloisterd -> authd, stored, workers) on
 * CLOISTER_FD_CONTROL. Only the supervisor sends them (CTL_READY and
 * CTL_RELOGIN_ASK excepted, which only workers send); receivers accept
 * them from that fd alone. Included by ipc_types.h only.
 *
 *   CTL_KEY   u32 version(IPC_VERSION), bytes key(32)
 *             the ticket key, first message to authd and stored
 *   CTL_PEER  str service(<=15), u64 instance, u32 flags; fd: the peer's
 *             socketpair end: "this fd is service S instance I" (to authd
 *             and stored). flags: CTL_PEER_ADMIN (stored only) marks root's
 *             admin-socket connection (cloisterctl); nothing else, and
 *             never a name, gives the store's admin right;
 *             CTL_PEER_DELIVERY (authd only) marks a worker whose policy
 *             grants store_deliver: the one kind of peer that may ask
 *             authd whether a recipient exists (AUTH_RCPT);
 *             CTL_PEER_PUSH (keyd only) marks cloister-pushd's channel:
 *             the one peer keyd signs VAPID tokens for (KEY_VAPID_SIGN);
 *             CTL_PEER_SUBMIT marks cloister-submitd's: the one peer keyd
 *             computes SCRAM proofs for (KEY_SCRAM_PROOF)
 *   CTL_CONN  u32 listener, bytes peer sockaddr, bytes local sockaddr;
 *             fd: the accepted client socket (to a connection worker)
 *   CTL_CLIENT u64 instance, bytes peer sockaddr
 *             to authd: the client address behind a worker instance, for
 *             per-address rate limits (sent before that worker's CTL_CONN)
 *   CTL_READY (no payload; worker -> cloisterd, the one record a worker
 *             sends on its control channel, CTL_RELOGIN_ASK
 *             aside) "started and confined": an
 *             exit before it is a start failure, one after it is not
 *   CTL_LOGGED_IN u64 instance, u8 n, n bytes user (raw, not tagged:
 *             authd -> cloisterd, on authd's control channel, once per
 *             successful login): that worker instance's client has logged
 *             in as user, so it no longer counts against the service's
 *             max-prelogin, and `cloisterctl who` names it. The
 *             supervisor checks the header against the length it received
 *             and n against both, keeps the n bytes as opaque bytes
 *             (escaped when printed) and reads nothing past them; any
 *             other record there is fatal for authd as for any worker
 *   CTL_RELOGIN_ASK (no payload; a logged-in connection worker of a
 *             service with 'set max-relogins N' -> cloisterd, a bare
 *             header compared, not decoded): "my client logged out on
 *             this connection (ManageSieve UNAUTHENTICATE): give me fresh
 *             authd and store channels". From any other worker, or
 *             beyond the bound, it is fatal like any unexpected record
 *   CTL_RELOGIN u32 error (0: granted; EDQUOT: the connection's re-logins
 *             are used up; EAGAIN: not now (a peer restarting, the
 *             service at max-prelogin, the login not reported yet));
 *             with 0, fds (IPC_F_FDS): the new authd channel, then one per
 *             store shard in shard order. The peers got their ends as
 *             CTL_PEER under a new instance number, so no ticket minted
 *             for the old channels is good on the new ones
 *
 * The supervisor's own admin socket (RUNTIME_DIR/cloisterd.sock, mode
 * 0600, root only by SO_PEERCRED; cloisterctl status/who/kick/reload): one
 * request per connection, answered by CTL_ADM_TEXT records (a chunk of
 * the text to print, raw bytes, the supervisor's own escaping applied)
 * and one final OK or ERROR(code, str message).
 *   CTL_ADM_STATUS  (no fields)  services, states, pids, sessions
 *   CTL_ADM_WHO     (no fields)  live sessions
 *   CTL_ADM_KICK    str user (1-255): end that user's sessions
 *   CTL_ADM_RELOAD  (no fields)  check the config, then reload it
 *   CTL_ADM_TEXT    <- raw text
 */
#ifndef CLOISTER_IPC_TYPES_CTL_H
#define CLOISTER_IPC_TYPES_CTL_H

#define IPC_CTL_PEER_ADMIN 1u   /* CTL_PEER flags: an admin connection */
#define IPC_CTL_PEER_DELIVERY 2u   /* to authd: the worker's policy holds
                                    * the store's delivery right */
#define IPC_CTL_PEER_PUSH 4u       /* to keyd: cloister-pushd, the one peer
                                    * that may ask for VAPID tokens */
#define IPC_CTL_PEER_SUBMIT 8u     /* to keyd: cloister-submitd, the one
                                    * peer that may ask for SCRAM proofs */
#define IPC_CTL_PEER_FLAGS (IPC_CTL_PEER_ADMIN | IPC_CTL_PEER_DELIVERY | \
    IPC_CTL_PEER_PUSH | IPC_CTL_PEER_SUBMIT)

#define IPC_CTL_TYPES(X)                                                   \
	X(CTL_KEY, 50)                                                     \
	X(CTL_PEER, 51)                                                    \
	X(CTL_CONN, 52)                                                    \
	X(CTL_CLIENT, 53)                                                  \
	X(CTL_READY, 54)                                                   \
	X(CTL_LOGGED_IN, 55)                                               \
	X(CTL_ADM_STATUS, 56)                                              \
	X(CTL_ADM_WHO, 57)                                                 \
	X(CTL_ADM_KICK, 58)                                                \
	X(CTL_ADM_RELOAD, 59)                                              \
	X(CTL_ADM_TEXT, 60)                                                \
	X(CTL_RELOGIN_ASK, 61)                                             \
	X(CTL_RELOGIN, 62)

#define IPC_LOGGED_IN_USER_MAX 255   /* bytes of user in CTL_LOGGED_IN */
#define IPC_ADM_TEXT_MAX 16384       /* bytes of text per CTL_ADM_TEXT */

#endif
