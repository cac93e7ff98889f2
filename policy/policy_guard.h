/*
 * policy_guard: syscalls whose power lies in their arguments. A policy may
 * allow them only through "syscall-if" rules that keep the dangerous
 * arguments out, and the parser refuses any that does not:
 *   fcntl          one command per rule, never F_SETOWN(_EX), F_SETSIG,
 *                  F_SETLEASE, F_NOTIFY, F_SETPIPE_SZ or F_DUPFD*; F_SETFL
 *                  only with O_ASYNC held clear (the kernel would signal
 *                  any process of the uid: a kill() seccomp cannot see)
 *   ioctl          one request per rule, never FIOSETOWN, SIOCSPGRP,
 *                  FIOASYNC (the same signal path) or TIOCSTI
 *   mmap mprotect pkey_mprotect   PROT_EXEC held clear
 *   setsockopt     level and option named; never a socket filter (BPF)
 *   newfstatat statx   the directory AT_FDCWD, or fstat's AT_EMPTY_PATH
 */
#ifndef CLOISTER_POLICY_GUARD_H
#define CLOISTER_POLICY_GUARD_H

#include "sandbox.h"

/* NULL if "syscall NAME" may allow nr without conditions; else why not. */
const char *policy_guard_plain(int nr);

/* NULL if the rule keeps the dangerous arguments of its syscall out; else
 * the reason it is refused. */
const char *policy_guard_rule(const struct sandbox_arg_rule *r);

#endif
