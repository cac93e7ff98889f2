/*
 * freeze: a consistent on-disk snapshot for backups. STORE_ADM_FREEZE
 * commits the turn, checkpoints (TRUNCATE) every open database and the
 * registry, and from then on holds every write request (reads go on)
 * until STORE_ADM_THAW, the freezing channel's close, or the timeout,
 * whichever comes first; the held writes then run in arrival order and
 * none fails. A channel with a held write is not read meanwhile, so a
 * freeze costs one held request per channel at most.
 *
 * Sites that never freeze pay one test of db_frozen (db.h) per write
 * request: no lock, no syscall.
 */
#ifndef CLOISTER_STORE_FREEZE_H
#define CLOISTER_STORE_FREEZE_H

#include <stdbool.h>

#include "ipc.h"

struct chan;

/* What runs a held request at the release (dispatch.c's dispatch, set by
 * dispatch_init: the freeze sits below the request table). */
typedef void (*freeze_runner_fn)(struct chan *ch, struct ipc_msg *m);
void freeze_set_runner(freeze_runner_fn fn);
/* Hold (or refuse) a write request while frozen; true if m was taken. */
bool freeze_hold(struct chan *ch, struct ipc_msg *m);
/* Milliseconds until the timeout, or -1 when not frozen. */
int freeze_timeout_ms(void);
/* Release the freeze if its time is up. */
void freeze_tick(void);
/* A channel closes: its freeze ends, its held request goes. */
void freeze_chan_closed(struct chan *ch);

#endif
