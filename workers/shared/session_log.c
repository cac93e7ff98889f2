/* session_log: a client session's log line (session_log.h). */
#include "session_log.h"

#include <stdio.h>
#include <string.h>

void
session_vlog(enum log_level lvl, const char *event, const char *user,
    const struct sockaddr_storage *peer, socklen_t peerlen, const char *fmt,
    va_list ap)
{
	char tok[LOG_TOKEN_MAX], addr[LOG_ADDR_MAX], more[512] = "";
	if (fmt != NULL)
		vsnprintf(more, sizeof(more), fmt, ap);
	log_msg(lvl, "%s: user=%s client=%s%s%s", event, user[0] ?
	    log_token(user, strlen(user), tok, sizeof(tok)) : "-",
	    log_addr(peerlen > 0 ? peer : NULL, addr), more[0] ? " " : "",
	    more);
}
