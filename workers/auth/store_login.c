/* store_login: bind a session's store channel (store_login.h). */
#include "store_login.h"
#include "log.h"

#include <malloc.h>
#include <unistd.h>

int
store_login(const int *store_fd, size_t nfd, unsigned shards,
    const char *user, const uint8_t *ticket, size_t ticket_len,
    struct store_conn **sc, char *bound, size_t boundsize)
{
	*sc = NULL;
	unsigned shard = store_shard_of(user, shards);
	if (shard >= nfd || store_fd[shard] < 0) {
		log_err("no store channel for shard %u", shard);
		return -1;
	}
	/* The client's receive buffer is ~100 KiB, zeroed by calloc: trimmed
	 * first, the heap cannot serve it, so it comes fresh from mmap
	 * (already zero, and only the pages the store writes get touched). */
	malloc_trim(0);
	*sc = store_client_open(store_fd[shard]);
	if (*sc == NULL)
		return -2;
	for (unsigned i = 0; i < shards && i < nfd; i++)
		if (i != shard && store_fd[i] >= 0)
			close(store_fd[i]);
	if (store_hello(*sc, ticket, ticket_len, bound, boundsize) < 0) {
		log_warn("store refused the ticket of %s: %s", user,
		    store_client_errmsg(*sc));
		return -1;
	}
	return 0;
}
