/*
 * authd_request: decode one record that reached authd from a worker
 * channel (PING, AUTH_MECHS, AUTH_START, AUTH_STEP, AUTH_CLIENT_ADDR; the
 * supervisor's records are common/ctlchan.h's), through the ipc cursor:
 * short data, a wrong field kind, a value out of range, bytes left over or
 * an fd where none belongs -> AUTHD_MALFORMED. A type the decoder does not
 * know -> AUTHD_UNKNOWN. Who may send what is authd_serve's table; this is
 * the wire format only (and the entry point of fuzz_auth_request).
 */
#ifndef CLOISTER_AUTHD_REQUEST_H
#define CLOISTER_AUTHD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ipc.h"
#include "ticket.h"

enum authd_decode {
	AUTHD_DECODED = 0,
	AUTHD_UNKNOWN = 1,     /* no decoder for this type */
	AUTHD_MALFORMED = 2,
};

struct authd_req {
	uint32_t type;
	/* AUTH_START */
	char mech[AUTH_MECH_NAME_MAX + 1];
	/* AUTH_START (initial response, if has_data), AUTH_STEP, PING
	 * (its whole payload), AUTH_RCPT (the user name); borrowed from the
	 * message */
	const uint8_t *data;
	size_t len;
	bool has_data;
};

/* Decode m into r. */
enum authd_decode authd_request_decode(const struct ipc_msg *m,
    struct authd_req *r);
/* Wipe r (an AUTH_START or AUTH_STEP holds credentials). */
void authd_req_wipe(struct authd_req *r);

#endif
