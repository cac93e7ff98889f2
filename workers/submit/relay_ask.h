/*
 * relay_ask: the relay connection, asked of cloisterd over the control
 * channel (submitd opens no socket): CTL_RELAY_ASK out, CTL_RELAY back
 * with an errno and, when 0, the connected socket (docs/submitd.md); and,
 * after a store shard's restart, a channel to the new one.
 */
#ifndef CLOISTER_RELAY_ASK_H
#define CLOISTER_RELAY_ASK_H

/* A connected socket to the relay, or -1 with errno (EAGAIN: over the
 * supervisor's rate, ask later). The control channel closed or anything
 * but CTL_RELAY on it ends the process (the channel is trusted). */
int relay_ask(int ctl, int timeout_ms);

/* A fresh channel to store shard, whose process was replaced since this
 * process got its channel (CTL_STORE_ASK -> CTL_STORE_CHAN), or -1 with
 * errno (EAGAIN: it is not ready yet, or is still the one whose channel
 * this process held). Failures as relay_ask. */
int store_ask(int ctl, unsigned shard, int timeout_ms);

#endif
