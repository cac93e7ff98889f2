/* store_login: a connection worker's login, on the store's side: the
 * user's shard channel is opened and bound with the ticket authd minted;
 * the other shards' channels are closed (the session never needs them).
 * Shared by imapd and managesieved; beside auth_client, which gets the
 * ticket. */
#ifndef CLOISTER_STORE_LOGIN_H
#define CLOISTER_STORE_LOGIN_H

#include <stddef.h>
#include <stdint.h>

#include "store_client.h"

/* store_fd[0..nfd): the channels by shard (-1: absent), shards of them in
 * use. *sc is the bound channel, and bound the name the store bound it to.
 * 0; -1 when the store cannot serve the login (logged; *sc may be set and
 * is the caller's to close); -2 out of memory. */
int store_login(const int *store_fd, size_t nfd, unsigned shards,
    const char *user, const uint8_t *ticket, size_t ticket_len,
    struct store_conn **sc, char *bound, size_t boundsize);

#endif
