/*
 * key: the ticket key the supervisor sends once on the control channel
 * (CTL_KEY), kept where STORE_HELLO's ticket check can read it without
 * reaching up into the channel layer that received it.
 */
#ifndef CLOISTER_STORE_KEY_H
#define CLOISTER_STORE_KEY_H

#include <stdint.h>

#include "ticket.h"

void key_set(const uint8_t key[TICKET_KEY_LEN]);
/* The key, or NULL before CTL_KEY came. */
const uint8_t *key_get(void);

#endif
