/*
 * stored: the process — start-up in the order of docs/design.md (load config
 * and every policy, confine, open the shard, serve) in stored.c, and the end
 * of each event-loop turn (turn.c, in the library so that the fuzz target
 * runs the same code). Its config options are listed in options.h.
 */
#ifndef CLOISTER_STORE_STORED_H
#define CLOISTER_STORE_STORED_H

/* The end of an event-loop turn: freeze timeout, group commit, then the
 * notifications and replies that follow from it, then the cache bound;
 * and the way out once the supervisor has closed the control channel. */
void stored_turn_end(void);
/* Commit, close every database cleanly, and _exit(0) (no atexit
 * handlers: OpenSSL's would need calls the policy does not allow). */
void stored_shutdown(void) __attribute__((noreturn));

#endif
