/*
 * mta_session: one MTA connection speaking Dovecot's auth protocol
 * (mta_proto.h), every exchange relayed to authd (auth_client.h).
 *
 * Requests are answered strictly in the order they arrive, one exchange
 * at a time: pipelined AUTH lines wait, unread, until the one before them
 * is answered. A new AUTH while an exchange waits for the MTA's CONT
 * abandons that exchange (FAIL for its id). The first successful login
 * ends the session after its OK: authd serves one login per worker, so
 * every login gets a fresh process (the MTA reconnects for the next).
 */
#ifndef CLOISTER_MTA_SESSION_H
#define CLOISTER_MTA_SESSION_H

#include <stdbool.h>

#include "auth_client.h"

struct mta_opts {
	bool secured_only;     /* plaintext mechanisms need secured or loopback */
	int idle_ms;           /* no complete line for this long: close */
	unsigned long cuid;    /* CUID in the handshake (the instance) */
};

/* Serve the MTA on fd until it leaves, a login succeeds, a violation, or
 * the idle timeout. 0: a clean end; -1: authd failed or the MTA broke
 * the protocol (already logged). */
int mta_serve(int fd, struct auth_client *ac, const struct mta_opts *o);

#endif
