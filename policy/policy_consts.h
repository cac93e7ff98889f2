/*
 * policy_consts: the names a policy's argument tests may use ("F_SETFL",
 * "PROT_EXEC", "TCP_NODELAY", ...), with their values on this system, so
 * that a reader sees names and the kernel gets the right numbers.
 */
#ifndef CLOISTER_POLICY_CONSTS_H
#define CLOISTER_POLICY_CONSTS_H

#include <stdbool.h>
#include <stdint.h>

/* The value of a known name, as the 32-bit argument the kernel reads. */
bool policy_const_by_name(const char *name, uint32_t *value);

#endif
