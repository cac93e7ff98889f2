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

struct chan;

/* What a request needs (the flags of the table in dispatch.c). */
enum opflag {
	OP_ANY = 1u << 0,      /* any state (ping) */
	OP_HELLO = 1u << 1,    /* only before a user is bound */
	OP_TICKET = 1u << 2,   /* needs the ticket's user; scoped to it */
	OP_DELIVER = 1u << 3,  /* the delivery right: no ticket, no reading */
	OP_ADMIN = 1u << 4,    /* only on a channel flagged CTL_PEER_ADMIN */
	OP_WRITE = 1u << 5,    /* changes data: savepoint, held by a freeze */
	OP_FD = 1u << 6,       /* exactly one fd attached */
};

/* Load the policy of every service in the config. Fatal on error. */
void dispatch_init(const struct config *c);
/* The index of a service for chan.svc (0: unknown, may send nothing). */
unsigned dispatch_service(const char *name);
/* Serve one request; takes ownership of m->fd. */
void dispatch(struct chan *ch, struct ipc_msg *m);
bool dispatch_allowed(const struct chan *ch, uint32_t type);
bool dispatch_has_delivery_right(const struct chan *ch);

#endif
