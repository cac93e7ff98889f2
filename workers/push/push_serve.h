/*
 * push_serve: cloister-pushd's loop once confined: wait for store events,
 * the retry queue's next due message or the control channel's end; plan
 * and deliver. One message at a time: a push service that hangs costs at
 * most push-timeout per message, and a phone's wake-up is not urgent to
 * the second.
 */
#ifndef CLOISTER_PUSH_SERVE_H
#define CLOISTER_PUSH_SERVE_H

#include "fds.h"
#include "push_deliver.h"
#include "push_retry.h"
#include "push_store.h"

#define PUSH_VERIFIED_MEMORY 1024   /* verification ids sent, newest kept */

struct push_serve {
	struct push_sender sender;
	struct push_store shard[CLOISTER_MAX_SHARDS];
	unsigned nshards;
	struct push_retry retry;
	char sent_ids[PUSH_VERIFIED_MEMORY][64];
	unsigned nsent;                   /* ring position */
};

/* Wait for work and do it; exits the process when a channel ends. */
void push_serve_once(struct push_serve *sv);

#endif
