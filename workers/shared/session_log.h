/* session_log: the one shape of a client session's log lines, shared by
 * the connection workers (imapd, managesieved):
 *   EVENT: user=U client=ADDR [more]
 * with the user made a single token (log_token), "-" before login. */
#ifndef CLOISTER_SESSION_LOG_H
#define CLOISTER_SESSION_LOG_H

#include <stdarg.h>
#include <sys/socket.h>

#include "log.h"

/* fmt may be NULL (nothing more). peerlen 0: the address is not known. */
void session_vlog(enum log_level lvl, const char *event, const char *user,
    const struct sockaddr_storage *peer, socklen_t peerlen, const char *fmt,
    va_list ap) __attribute__((format(printf, 6, 0)));

#endif
