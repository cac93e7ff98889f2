/*
 * push_keyd: VAPID tokens from cloister-keyd (docs/keyd.md, "VAPID
 * tokens"), for a pushd with `set keyd yes`: the key stays in keyd, pushd
 * asks for each token (KEY_VAPID_SIGN: the push service's origin and the
 * expiry) on its keyd channel and gets the Authorization value back.
 */
#ifndef CLOISTER_PUSH_KEYD_H
#define CLOISTER_PUSH_KEYD_H

#include <stdint.h>

#include "buf.h"

/* A push_sender vapid_fn; ctx unused. A lost keyd channel ends the
 * process (cloisterd starts it again with a new one). */
int push_keyd_vapid(void *ctx, const char *aud, uint64_t exp,
    struct buf *out);

#endif
