/*
 * ctl_ask: a worker's one question to cloisterd on its control channel
 * (submitd's CTL_RELAY_ASK and CTL_STORE_ASK, a connection worker's
 * CTL_RELOGIN_ASK): a header (bare, or with a small payload) out, then
 * one answer whose payload is a u32 errno, with fds when it is 0
 * (docs/supervisor.md). The channel is trusted: anything out of
 * step is the caller's reason to exit.
 */
#ifndef CLOISTER_CTL_ASK_H
#define CLOISTER_CTL_ASK_H

#include "ipc.h"

enum ctl_ask_result {
	CTL_ASK_OK = 0,     /* *err holds the answer's errno (0 or < 4096) */
	CTL_ASK_EOF = 1,    /* the supervisor closed the channel: stopping us */
	CTL_ASK_FAIL = -1,  /* no answer in time, a fault, or a record that is
	                     * not answer (u32 error, request id 0): logged,
	                     * its fds closed */
};

/* Ask on ctl (payload: NULL for a bare header) and wait up to timeout_ms;
 * the answer stays in m (its fd or fds the caller's with CTL_ASK_OK). */
enum ctl_ask_result ctl_ask(int ctl, uint32_t ask, const struct buf *payload,
    uint32_t answer, int timeout_ms, struct ipc_msg *m, uint32_t *err);

#endif
