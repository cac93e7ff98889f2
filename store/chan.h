/*
 * chan: the channels stored serves — the supervisor's control channel and
 * one peer channel per worker instance (or cloisterctl connection), each
 * named (service, instance) by CTL_PEER, never by its own payloads — and
 * the reply path: each request's reply is built into a pooled buffer, held
 * until the turn's commits are done, then sent (chopped into IPC_F_MORE
 * records when streamed). A channel with a reply still queued is not read
 * (backpressure: one reply in memory per channel at most). A long reply is
 * made in slices over several turns (slice.h) and sent as it is made.
 * A peer has at most CHAN_FD_REPLIES_UNREAD replies carrying fds that it
 * has not read: the kernel counts every fd in flight against stored's
 * RLIMIT_NOFILE, so a peer that reads nothing must not hold them all.
 */
#ifndef CLOISTER_STORE_CHAN_H
#define CLOISTER_STORE_CHAN_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "ipc.h"
#include "request.h"

struct user;
struct udb;
struct held;
struct slice;

#define CHAN_NOTIFY_PENDING 8
/* 2 body batches of 32 files: imapd reads one while the next is asked;
 * a peer that reads nothing holds at most 64 fds in flight, so 256 such
 * channels at once are needed to reach stored's 16384 */
#define CHAN_FD_REPLIES_UNREAD 2

struct chan {
	int fd;
	char service[16];
	uint64_t instance;
	unsigned svc;                /* index into dispatch's service table */
	bool admin;                  /* CTL_PEER's admin flag was set */
	struct user *user;           /* bound by STORE_HELLO */
	/* the reply being built or sent */
	struct buf *out;
	uint32_t out_type, out_reqid;
	bool out_stream;
	size_t out_off;
	int out_fd;
	struct ipc_fd_batch out_fds;    /* a batch instead of out_fd */
	bool out_ready;              /* complete, waiting for the turn's end */
	unsigned fd_replies;         /* fd-bearing replies sent since the
	                              * peer's queue was last seen empty */
	bool out_open;               /* slices still to come (slice.h) */
	struct slice *slice;
	struct chan *slice_next;
	/* a write request held by a freeze (freeze.c) */
	struct held *held;
	struct chan *held_next;
	bool api_slot;               /* holds one (request_slots.h) */
	/* notifications (notify.c) */
	bool watching;
	bool watch_all;
	uint64_t watch_mbox;
	struct chan *wprev, *wnext;
	uint64_t notify_pending[CHAN_NOTIFY_PENDING];
	unsigned nnotify;
	bool push_watch;             /* the push right's watch (notify.h) */
	/* event loop */
	uint32_t events;             /* EPOLLIN/EPOLLOUT registered */
	bool fz_timed_out;           /* a freeze of this channel timed out */
	bool flush_queued;
	struct chan *flush_next;
	bool early_out;              /* answered early this turn, not heard
	                              * from since (chan_early_waiting) */
	bool dead;
};

/* Event loop plumbing (stored.c owns the epoll fd). */
void chan_init(int epfd);
/* What the layers above do when a channel closes (its freeze and held
 * request go: freeze.c) and when its socket drains (the notifications it
 * missed: push.c). Set once at start (dispatch_init): the channel layer
 * calls no higher layer by name. */
struct chan_hooks {
	void (*closed)(struct chan *ch);
	void (*drained)(struct chan *ch);
};
void chan_set_hooks(const struct chan_hooks *h);
/* admin: CTL_PEER's admin flag (root's admin socket), the only source of
 * the admin right. */
struct chan *chan_add(int fd, const char *service, uint64_t instance,
    bool admin);
void chan_close(struct chan *ch);
/* chan_read.c: the readers, above the request table. */
/* The supervisor's control channel is readable (CTL_KEY, CTL_PEER, by the
 * rule of common/ctlchan.h: anything else ends the process). */
void chan_control_read(int fd);
/* The supervisor closed the control channel: the loop ends at the end of
 * this turn (stored_turn_end). The channel layer never exits itself. */
bool chan_control_closed(void);
/* Readable: receive one record and dispatch it. */
void chan_read(struct chan *ch);
/* Whether the record waiting on ch is a write request (looked at, not
 * received): a turn serves its reads first, while no write is open, so
 * that they are answered at once (chan_send_early). */
bool chan_next_writes(struct chan *ch);
/* Writable again: continue sending. */
void chan_writable(struct chan *ch);
/* End of turn: send every reply that is ready (after db_commit_all). */
void chan_flush_all(void);
/* One slice of every sliced reply whose reader keeps up (after the
 * commit); true if one of them can run now (the loop must not sleep). */
void chan_run_slices(void);
bool chan_slices_runnable(void);
/* Stop reading a channel (freeze holds, backpressure); resume reads it
 * again unless a reply or a held request is still pending. */
void chan_pause(struct chan *ch);
void chan_resume(struct chan *ch);
/* Before reading a request: has the peer CHAN_FD_REPLIES_UNREAD replies
 * carrying fds unread (its queue not seen empty since they went)? Then
 * true, and nothing is read from it (no reply built, no file opened for
 * it) until it has read them: each record it reads wakes the channel
 * (EPOLLOUT, edge-triggered: the socket stays writable) to look again. */
bool chan_hold_for_fds(struct chan *ch);
/* Queue ch to be flushed at the end of the turn. */
void chan_queue_flush(struct chan *ch);
/* Send ch's finished reply now instead of at the end of the turn (not a
 * sliced one): for a reply that acknowledges nothing the turn's commit is
 * yet to make durable. The channel stays queued for the flush. */
void chan_send_early(struct chan *ch);
/* How many peers answered early this turn have sent nothing since: the
 * loop may wait a moment for their next request (a delivery after its
 * reads, often) so that its write shares the turn's commit. */
unsigned chan_early_waiting(void);
/* A new turn: no peer is waited for (before the turn's first flush). */
void chan_early_reset(void);
/* Send a small unsolicited record now if the socket takes it; false if
 * it would block (the caller keeps it pending). */
bool chan_send_now(struct chan *ch, uint32_t type, const struct buf *b);
/* The reply to reqid queued on ch, not yet sent, becomes ERROR(code, msg):
 * the write it acknowledged did not become durable (db.c). */
void chan_fail_reply(struct chan *ch, uint32_t reqid, uint32_t code,
    const char *msg);
unsigned chan_count(void);

/* The reply of r: begin (a pooled buffer), finish (rc < 0: ERROR with
 * r->err instead of whatever was built; queued for the end of the turn). */
void chan_reply_begin(struct req *r);
void chan_reply_finish(struct req *r, int rc);

#endif
