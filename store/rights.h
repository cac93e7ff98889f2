/*
 * rights: which request types each service may send stored — the
 * store-op lines of its policy file, loaded at start (before confinement).
 * A channel's service comes from CTL_PEER, never from a payload. The
 * channel's state and the admin flag are checked by dispatch.c.
 */
#ifndef CLOISTER_STORE_RIGHTS_H
#define CLOISTER_STORE_RIGHTS_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* Request types a policy can name (IPC types are below this). */
#define RIGHTS_TYPE_SLOTS 512

/* Load the policy of every service in the config. Fatal on error. */
void rights_load(const struct config *c);
/* The index of a service for chan.svc (0: unknown, may send nothing). */
unsigned rights_service(const char *name);
/* Does service svc's policy allow request type t? */
bool rights_may(unsigned svc, uint32_t type);

#endif
