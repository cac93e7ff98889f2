/*
 * dispatch: the per-request table — {type, flags, handler} — and the one
 * place that decides who may send what. The services allowed to send a
 * type are the store-op lines of their policy files (loaded at start,
 * before confinement); a channel's service comes from CTL_PEER, never
 * from a payload. Anything unknown or not allowed is answered
 * ERROR(UNEXPECTED, "unexpected X from Y") and logged; the channel stays.
 */
#ifndef CLOISTER_STORE_DISPATCH_H
#define CLOISTER_STORE_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ipc.h"
#include "request.h"

struct chan;

/* The request table, and every service's policy (rights.h). Fatal on
 * error. */
void dispatch_init(const struct config *c);
/* What dispatch() does with a request of this type on ch, as it stands
 * (its sender's rights, whether a user is bound, a freeze). */
enum verdict {
	V_SERVE,           /* run its handler */
	V_HOLD,            /* a write while frozen: held (freeze.h) */
	V_REFUSE_TYPE,     /* unknown, or not the sender's to send */
	V_REFUSE_STATE,    /* not in the channel's state (*why says which) */
};
enum verdict dispatch_verdict(const struct chan *ch, uint32_t type,
    const char **why);
/* Serve one request; takes ownership of m->fd. */
void dispatch(struct chan *ch, struct ipc_msg *m);
/* Whether a request of this type writes (OP_WRITE): the reader serves a
 * turn's reads before its writes (chan_read.c). */
bool dispatch_type_writes(uint32_t type);

#endif
