/*
 * ctlchan: the one reader of the supervisor's control channel, for the
 * daemons that get one (stored, authd, keyd). The rule (docs/ipc.md, "Control
 * records and unexpected requests"): the first record is CTL_KEY, exactly
 * once, with this build's IPC_VERSION; CTL_PEER (with its fd), and
 * CTL_CLIENT for a daemon that takes it, only after it; nothing else. The
 * control channel is trusted: a malformed, out-of-order or unknown record
 * is a bug or a compromise of the supervisor, so ctlchan_read() logs it and
 * exits non-zero (the supervisor restarts the daemon). The supervisor gone
 * (end of file, a receive error) is CTLCHAN_CLOSED: the daemon finishes
 * what it holds and exits 0.
 */
#ifndef CLOISTER_CTLCHAN_H
#define CLOISTER_CTLCHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ipc.h"
#include "ticket.h"

enum ctl_kind { CTL_REC_KEY = 1, CTL_REC_PEER, CTL_REC_CLIENT };

/* One control record, decoded. */
struct ctl_rec {
	enum ctl_kind kind;
	uint8_t key[TICKET_KEY_LEN];          /* KEY (wipe with ctlchan_wipe) */
	char service[TICKET_SERVICE_LEN];     /* PEER: a config service name */
	uint64_t instance;                    /* PEER, CLIENT */
	uint32_t flags;                       /* PEER */
	int fd;                               /* PEER: the peer's end; the
	                                         caller's from here on */
	struct sockaddr_storage addr;         /* CLIENT: the worker's client */
	size_t addrlen;
};

struct ctlchan {
	int fd;
	uint32_t peer_flags;     /* the CTL_PEER flags this daemon takes */
	bool takes_client;       /* CTL_CLIENT is for this daemon */
	bool takes_key;          /* CTL_KEY comes first (not to keyd) */
	bool have_key;
	struct ipc_msg msg;
};

void ctlchan_init(struct ctlchan *cc, int fd, uint32_t peer_flags,
    bool takes_client);
/* For keyd, which never holds the ticket key: CTL_PEER from the first
 * record on, and a CTL_KEY breaks the rule like any unexpected record. */
void ctlchan_init_keyless(struct ctlchan *cc, int fd);

enum ctlchan_result {
	CTLCHAN_RECORD = 0,      /* *r holds one */
	CTLCHAN_AGAIN = 1,       /* nothing waiting */
	CTLCHAN_CLOSED = 2,      /* the supervisor is gone */
};
/* Read one record without blocking; exits (log_fatal) on any deviation
 * from the rule. */
enum ctlchan_result ctlchan_read(struct ctlchan *cc, struct ctl_rec *r);
/* The rule applied to a record already received: 0 (r filled, the fd of a
 * CTL_PEER moved to r->fd), or -1 with why it breaks the rule (m's fd is
 * left for the caller). ctlchan_read's check, for the unit test. */
int ctlchan_accept(struct ctlchan *cc, struct ipc_msg *m, struct ctl_rec *r,
    char *why, size_t whylen);
/* Wipe r (a CTL_KEY holds the ticket key). */
void ctlchan_wipe(struct ctl_rec *r);

#endif
