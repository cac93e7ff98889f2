/*
 * stored: the process — start-up in the order of docs/design.md (load config
 * and every policy, confine, open the shard, serve) in stored.c, and the end
 * of each event-loop turn (turn.c, in the library so that the fuzz target
 * runs the same code). Its config options are listed in options.h.
 */
#ifndef CLOISTER_STORE_STORED_H
#define CLOISTER_STORE_STORED_H

#include <stdbool.h>

struct epoll_event;
/* The events one epoll_wait takes. */
#define STORED_MAX_EVENTS 256
/* Serve one epoll_wait's n events (n < 0: its error, fatal unless EINTR):
 * control, timers, channels, each channel's reads before its writes
 * (chan_next_writes) so that reads go at once (chan_send_early); again:
 * a second look within the turn, where a channel whose reply waits for
 * the commit is not read (one request per channel per turn). The
 * channels read. */
int stored_serve_events(const struct epoll_event *evs, int n, bool again);
/* The end of an event-loop turn: freeze timeout, group commit, then the
 * notifications and replies that follow from it, then the cache bound;
 * and the way out once the supervisor has closed the control channel. */
void stored_turn_end(void);
/* Commit, close every database cleanly, and _exit(0) (no atexit
 * handlers: OpenSSL's would need calls the policy does not allow). */
void stored_shutdown(void) __attribute__((noreturn));

#endif
