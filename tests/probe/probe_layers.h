/*
 * probe_layers: the escapes that seccomp alone would guard were its filter
 * weaker, and that Landlock and the empty network namespace refuse on
 * their own: a file in the root, TCP to the host's loopback, a signal to a
 * process outside, an abstract unix socket made outside.
 */
#ifndef CLOISTER_PROBE_LAYERS_H
#define CLOISTER_PROBE_LAYERS_H

#include "probe_attempts.h"
#include "sandbox.h"

/* Each returns 1 if the escape worked (as probe_attempts.c's do). */
int probe_try_root_file(struct probe_ctx *c);
int probe_try_tcp_host(struct probe_ctx *c);
int probe_try_abstract_unix(struct probe_ctx *c);
int probe_try_kill_outside(struct probe_ctx *c);

/* Confine the child under c->policy as a worker would, with the filter
 * weakened and layers skipped as c asks; keeps the tree for the attempts. */
void probe_confine_child(const struct probe_ctx *c, const int *keep,
    size_t n);

#endif
