/*
 * store_client_int: what the files of the client library share — the
 * connection, the request/reply primitives (store_client.c) and the
 * decoders of compound reply fields. Not for workers: their header is
 * store_client.h.
 */
#ifndef CLOISTER_STORE_CLIENT_INT_H
#define CLOISTER_STORE_CLIENT_INT_H

#include "store_client.h"
#include "ipc.h"

#define NOTIFY_QUEUE 64

struct store_conn {
	int fd;
	uint32_t reqid;
	char errmsg[256];
	struct buf req;            /* the request being built */
	struct buf stream;         /* reassembly of streamed replies */
	struct store_notify q[NOTIFY_QUEUE];
	size_t nq;
	char kw[STORE_MAX_KEYWORDS][STORE_KEYWORD_MAX + 1];
	const char *kwp[STORE_MAX_KEYWORDS];
	size_t nkw;
	bool kw_loaded;
	bool take_fds;             /* the awaited reply may carry a batch */
	struct ipc_msg msg;        /* last: large */
};

/* A streamed reply: entries then a trailer, across any record boundaries.
 * entry() decodes one entry and calls the user's callback only once the
 * entry decoded whole; it returns -1 when the cursor ran short. */
struct stream_ops {
	int (*entry)(struct store_conn *sc, struct buf_cur *c, void *ctx);
	int (*trailer)(struct store_conn *sc, struct buf_cur *c, void *ctx);
	void *ctx;
};

/* Record the store's (or our) message for rc; returns rc. */
int sc_fail(struct store_conn *sc, int rc, const char *msg);
/* Begin a request: empty request buffer, no message. */
int sc_start(struct store_conn *sc);
/* Send the built request (with sendfd unless -1). */
int sc_send_req(struct store_conn *sc, uint32_t type, int fd);
/* Receive the next record that is not a notification. */
int sc_recv_record(struct store_conn *sc);
/* An ERROR record -> its code as a negative store_rc. */
int sc_take_error(struct store_conn *sc);
/* Send the built request and read a one-record reply; on 0, c covers the
 * OK payload and *fd (if fd != NULL) holds the attached fd or -1. */
int sc_call(struct store_conn *sc, uint32_t type, int sendfd,
    struct buf_cur *c, int *fd);
/* End of a one-record reply: all fields read, nothing left. */
int sc_done(struct store_conn *sc, struct buf_cur *c);
/* sc_done for a reply that carries an fd (got, -1 if none came): on 0
 * *fd holds it; otherwise it is closed (no fd is a protocol error). */
int sc_done_fd(struct store_conn *sc, struct buf_cur *c, int got, int *fd);
/* Requests whose reply is an empty OK. */
int sc_call_empty(struct store_conn *sc, uint32_t type);
/* Send the built request and read its streamed reply through ops. */
int sc_call_stream(struct store_conn *sc, uint32_t type,
    const struct stream_ops *ops);

/* Compound fields (docs/store-protocol.md "Encodings"). */
void sc_put_uids(struct store_conn *sc, const struct store_uids *u);
int sc_get_uids(struct buf_cur *c, struct store_uids *u);
int sc_get_name(struct buf_cur *c, char *dst, size_t size);
void sc_put_mbox(struct store_conn *sc, uint64_t id, const char *name);
int sc_get_status(struct buf_cur *c, struct store_mbox_status *st);
int sc_get_quota(struct buf_cur *c, struct store_quota *q);
/* Append id to a growable array; -1 when out of memory. */
int sc_push_id(uint64_t **v, size_t *n, size_t *cap, uint64_t id);

/* Hand one decoded entry of a streamed reply to the caller: ctx holds the
 * caller's cb (NULL: none), its arg and a stop flag. Once cb returns
 * nonzero it is not called again; the rest of the stream is still read
 * (the reply has to be consumed to keep the connection in step) and
 * dropped. */
#define SC_STREAM_DELIVER(ctx, entry) do {				\
	if (!(ctx)->stop && (ctx)->cb != NULL &&			\
	    (ctx)->cb((ctx)->arg, (entry)) != 0)			\
		(ctx)->stop = true;					\
} while (0)

/* Mailbox list entries (STORE_MBOX_LIST, STORE_ADM_MBOX_LIST). */
struct mbox_ctx {
	store_mbox_cb cb;
	void *arg;
	bool stop;
};
int sc_mbox_entry(struct store_conn *sc, struct buf_cur *c, void *ctx);

#endif
