/*
 * relay_ask: the relay connection, asked of cloisterd over the control
 * channel (submitd opens no socket): CTL_RELAY_ASK out, CTL_RELAY back
 * with an errno and, when 0, the connected socket (docs/submitd.md).
 */
#ifndef CLOISTER_RELAY_ASK_H
#define CLOISTER_RELAY_ASK_H

/* A connected socket to the relay, or -1 with errno (EAGAIN: over the
 * supervisor's rate, ask later). The control channel closed or anything
 * but CTL_RELAY on it ends the process (the channel is trusted). */
int relay_ask(int ctl, int timeout_ms);

#endif
