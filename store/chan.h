/*
 * chan: the channels stored serves — the supervisor's control channel and
 * one peer channel per worker instance (or cloisterctl connection), each
 * named (service, instance) by CTL_PEER, never by its own payloads — and
 * the reply path: each request's reply is built into a pooled buffer, held
 * until the turn's commits are done, then sent (chopped into IPC_F_MORE
 * records when streamed). A channel with a reply still queued is not read
 * (backpressure: one reply in memory per channel at most). A long reply is
 * made in slices over several turns (slice.h) and sent as it is made.
 */
#ifndef CLOISTER_STORE_CHAN_H
#define CLOISTER_STORE_CHAN_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "ipc.h"

struct user;
struct udb;
struct held;
struct slice;

#define CHAN_NOTIFY_PENDING 8

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
	bool out_ready;              /* complete, waiting for the turn's end */
	bool out_open;               /* slices still to come (slice.h) */
	struct slice *slice;
	struct chan *slice_next;
	/* a write request held by a freeze (freeze.c) */
	struct held *held;
	struct chan *held_next;
	/* notifications (notify.c) */
	bool watching;
	bool watch_all;
	uint64_t watch_mbox;
	struct chan *wprev, *wnext;
	uint64_t notify_pending[CHAN_NOTIFY_PENDING];
	unsigned nnotify;
	/* event loop */
	uint32_t events;             /* EPOLLIN/EPOLLOUT registered */
	bool fz_timed_out;           /* a freeze of this channel timed out */
	bool flush_queued;
	struct chan *flush_next;
	bool dead;
};

/* One request being served. */
struct req {
	struct chan *ch;
	const struct ipc_msg *m;
	uint32_t type;
	unsigned opflags;
	struct buf_cur c;            /* the payload */
	int fd;                      /* attached fd or -1 (closed after) */
	struct user *u;              /* the user the request is scoped to */
	struct udb *d;               /* u's database (req_db) */
	bool writing;                /* a savepoint is open on d */
	struct buf *rb;              /* the reply payload */
	uint32_t rtype;              /* IPC_OK unless the handler says */
	bool stream;
	int rfd;                     /* fd to attach to the reply */
	struct slice *slice;         /* the reply goes on in slices */
	char err[256];
};

/* Event loop plumbing (stored.c owns the epoll fd). */
void chan_init(int epfd);
/* admin: CTL_PEER's admin flag (root's admin socket), the only source of
 * the admin right. */
struct chan *chan_add(int fd, const char *service, uint64_t instance,
    bool admin);
void chan_close(struct chan *ch);
/* The supervisor's control channel is readable (CTL_KEY, CTL_PEER). */
void chan_control_read(int fd);
/* Readable: receive one record and dispatch it. */
void chan_read(struct chan *ch);
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
/* Queue ch to be flushed at the end of the turn. */
void chan_queue_flush(struct chan *ch);
/* Send a small unsolicited record now if the socket takes it; false if
 * it would block (the caller keeps it pending). */
bool chan_send_now(struct chan *ch, uint32_t type, const struct buf *b);
/* The reply to reqid queued on ch, not yet sent, becomes ERROR(code, msg):
 * the write it acknowledged did not become durable (db.c). */
void chan_fail_reply(struct chan *ch, uint32_t reqid, uint32_t code,
    const char *msg);
unsigned chan_count(void);
/* The ticket key from CTL_KEY, or NULL before it came. */
const uint8_t *chan_ticket_key(void);

/* The reply of r: begin (a pooled buffer), finish (rc < 0: ERROR with
 * r->err instead of whatever was built; queued for the end of the turn). */
void chan_reply_begin(struct req *r);
void chan_reply_finish(struct req *r, int rc);

/* Reply building (used by handlers). */
void req_reply_stream(struct req *r);         /* the reply is streamed */
void req_item(struct req *r);                 /* next stream entry */
void req_end(struct req *r);                  /* stream trailer follows */
/* A streamed reply made in slices (slice.h): the first step runs now;
 * if it leaves more to do, the rest run in later turns. k belongs to the
 * channel from here on (freed when done). 0 or a negative IPC error. */
int req_first_slice(struct req *r, struct slice *k);
int req_fail(struct req *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* ipc_get_end on the request: MALFORMED if anything is short or left. */
int req_end_of_fields(struct req *r);
/* The database of r->u; for write requests, opens the savepoint. */
int req_db(struct req *r);

#endif
