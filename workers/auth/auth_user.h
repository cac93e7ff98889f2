/*
 * auth_user: the user names Cloister accepts, and the one name of each
 * account. Shared by authd (what it looks up and puts in tickets),
 * cloisterctl (what it writes to sasldb2 and the store) and the workers
 * (which may refuse a bad LOGIN name before relaying it).
 *
 *   1-255 bytes, no control characters, no space, no '/', at most one '@',
 *   and '@' neither first nor last.
 *   "name@REALM" with the default realm is the account "name"; any other
 *   "name@domain" keeps its domain (sasldb2 realm = domain).
 */
#ifndef CLOISTER_AUTH_USER_H
#define CLOISTER_AUTH_USER_H

#include <stdbool.h>
#include <stddef.h>

bool auth_user_ok(const char *s, size_t n);
/* The length of the canonical name of in[0..n) under the default realm
 * (in itself, minus "@realm" if it ends so); 0 if the name is invalid. */
size_t auth_user_canon_len(const char *in, size_t n, const char *realm);

#endif
