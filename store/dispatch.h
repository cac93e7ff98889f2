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
/* Serve one request; takes ownership of m->fd. */
void dispatch(struct chan *ch, struct ipc_msg *m);
bool dispatch_allowed(const struct chan *ch, uint32_t type);

#endif
