/* store_client: the workers' side of the store protocol (see store_client.h
 * and docs/store-protocol.md), its transport: the connection, one request
 * and its reply read to the end (one record or a stream), notifications
 * met on the way queued, and the compound reply fields every call decodes.
 * The calls themselves: store_client_mbox.c, _msg.c, _search.c, _jmap.c,
 * _admin.c. Knows nothing of store internals. */
#include "store_client_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- connection ----------------------------------------------------------- */

struct store_conn *
store_client_open(int fd)
{
	struct store_conn *sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		return NULL;
	sc->fd = fd;
	buf_init(&sc->req, IPC_MAX_PAYLOAD);
	buf_init(&sc->stream, STORE_ENTRY_MAX + IPC_MAX_PAYLOAD);
	return sc;
}

void
store_client_close(struct store_conn *sc)
{
	if (sc == NULL)
		return;
	close(sc->fd);
	buf_free(&sc->req);
	buf_free(&sc->stream);
	free(sc);
}

int
store_client_fd(const struct store_conn *sc)
{
	return sc->fd;
}

const char *
store_client_errmsg(const struct store_conn *sc)
{
	return sc->errmsg;
}

int
sc_fail(struct store_conn *sc, int rc, const char *msg)
{
	size_t n = strnlen(msg, sizeof(sc->errmsg) - 1);
	memcpy(sc->errmsg, msg, n);
	sc->errmsg[n] = '\0';
	return rc;
}

static void
queue_notify(struct store_conn *sc, const struct store_notify *n)
{
	/* coalesce: the latest state of a mailbox replaces the older one */
	for (size_t i = 0; i < sc->nq; i++)
		if (sc->q[i].mailbox_id == n->mailbox_id) {
			sc->q[i] = *n;
			return;
		}
	if (sc->nq == NOTIFY_QUEUE) {
		memmove(&sc->q[0], &sc->q[1], sizeof(sc->q[0]) * (NOTIFY_QUEUE - 1));
		sc->nq--;
	}
	sc->q[sc->nq++] = *n;
}

static int
take_notify(struct store_conn *sc)
{
	struct buf_cur c;
	struct store_notify n;
	ipc_msg_cursor(&sc->msg, &c);
	ipc_get_u64(&c, &n.mailbox_id);
	ipc_get_u64(&c, &n.highestmodseq);
	ipc_get_u32(&c, &n.messages);
	ipc_get_u32(&c, &n.uidnext);
	ipc_get_u64(&c, &n.state);
	if (sc->msg.fd >= 0 || sc->msg.reqid != 0 || ipc_get_end(&c) < 0) {
		ipc_msg_close_fd(&sc->msg);
		return sc_fail(sc, STORE_E_PROTO, "malformed notification");
	}
	queue_notify(sc, &n);
	return 0;
}

/* Receive one record (blocking); 1 if it was a notification (queued). */
/* A receive that did not yield a record, as the caller's error. */
static int
recv_failed(struct store_conn *sc, enum ipc_recv_result r)
{
	if (r == IPC_RECV_EOF)
		return sc_fail(sc, STORE_E_IO, "store closed the connection");
	if (r == IPC_RECV_VERSION) {
		char why[64];
		return sc_fail(sc, STORE_E_PROTO, ipc_recv_strerror(r, &sc->msg,
		    why, sizeof(why)));
	}
	return sc_fail(sc, STORE_E_IO, "store connection failed");
}

static int
recv_one(struct store_conn *sc)
{
	for (;;) {
		enum ipc_recv_result r = sc->take_fds ?
		    ipc_recv_fds(sc->fd, &sc->msg) : ipc_recv(sc->fd, &sc->msg);
		if (r == IPC_RECV_AGAIN) {
			struct pollfd p = { .fd = sc->fd, .events = POLLIN };
			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				return sc_fail(sc, STORE_E_IO, "poll failed");
			continue;
		}
		if (r != IPC_RECV_OK)
			return recv_failed(sc, r);
		if (sc->msg.type == IPC_STORE_NOTIFY) {
			int rc = take_notify(sc);
			return rc < 0 ? rc : 1;
		}
		return 0;
	}
}

/* Receive the next record that is not a notification. */
int
sc_recv_record(struct store_conn *sc)
{
	int rc;
	while ((rc = recv_one(sc)) == 1)
		;
	return rc;
}

int
sc_start(struct store_conn *sc)
{
	buf_reset(&sc->req);
	sc->errmsg[0] = '\0';
	return 0;
}

int
sc_send_req(struct store_conn *sc, uint32_t type, int fd)
{
	if (sc->req.failed)
		return sc_fail(sc, STORE_E_ARG, "request too large");
	if (++sc->reqid == 0)
		sc->reqid = 1;
	if (ipc_send(sc->fd, type, sc->reqid, 0, &sc->req, fd) < 0)
		return sc_fail(sc, STORE_E_IO, "cannot send to the store");
	return 0;
}

/* An ERROR record -> its code as a negative store_rc. */
int
sc_take_error(struct store_conn *sc)
{
	struct buf_cur c;
	uint32_t code;
	const char *p;
	size_t n;
	ipc_msg_cursor(&sc->msg, &c);
	ipc_msg_close_fd(&sc->msg);
	if (ipc_get_u32(&c, &code) < 0 || ipc_get_strp(&c, &p, &n, 1024) < 0 ||
	    ipc_get_end(&c) < 0 || code == 0 || code > 99)
		return sc_fail(sc, STORE_E_PROTO, "malformed error reply");
	char msg[256];
	if (n >= sizeof(msg))
		n = sizeof(msg) - 1;
	memcpy(msg, p, n);
	msg[n] = '\0';
	return sc_fail(sc, -(int)code, msg);
}

/* Send the built request and read a one-record reply; on 0, c covers the
 * OK payload and *fd (if fd != NULL) holds the attached fd or -1. */
int
sc_call(struct store_conn *sc, uint32_t type, int sendfd, struct buf_cur *c,
    int *fd)
{
	int rc = sc_send_req(sc, type, sendfd);
	if (rc < 0)
		return rc;
	if ((rc = sc_recv_record(sc)) < 0)
		return rc;
	if (sc->msg.reqid != sc->reqid) {
		ipc_msg_close_fd(&sc->msg);
		return sc_fail(sc, STORE_E_PROTO, "reply to another request");
	}
	if (sc->msg.type == IPC_ERROR)
		return sc_take_error(sc);
	bool ok_type = sc->msg.type == IPC_OK ||
	    (type == IPC_PING && sc->msg.type == IPC_PONG);
	if (!ok_type || (sc->msg.flags & IPC_F_MORE) != 0 ||
	    (fd == NULL && sc->msg.fd >= 0)) {
		ipc_msg_close_fd(&sc->msg);
		return sc_fail(sc, STORE_E_PROTO, "unexpected reply");
	}
	if (fd != NULL)
		*fd = sc->msg.fd;
	ipc_msg_cursor(&sc->msg, c);
	return 0;
}

/* End of a one-record reply: all fields read, nothing left. */
int
sc_done(struct store_conn *sc, struct buf_cur *c)
{
	if (ipc_get_end(c) < 0)
		return sc_fail(sc, STORE_E_PROTO, "malformed reply");
	return STORE_OK;
}

/* Decode whole items from p; returns the bytes used (a partial item at the
 * end is left for the next record), or -1 on a protocol error. */
static ssize_t
decode_items(struct store_conn *sc, const uint8_t *p, size_t n,
    const struct stream_ops *ops, bool *ended)
{
	size_t used = 0;
	while (used < n && !*ended) {
		struct buf_cur c;
		uint32_t tag;
		buf_cur_init(&c, p + used, n - used);
		if (ipc_get_u32(&c, &tag) < 0)
			break;
		if (tag == 1) {
			if (ops->entry(sc, &c, ops->ctx) < 0)
				break;
		} else if (tag == 0) {
			if (ops->trailer != NULL && ops->trailer(sc, &c, ops->ctx) < 0)
				break;
			if (c.failed)
				break;
			*ended = true;
		} else {
			return -1;
		}
		used = n - c.left;
	}
	return (ssize_t)used;
}

int
sc_call_stream(struct store_conn *sc, uint32_t type, const struct stream_ops *ops)
{
	int rc = sc_send_req(sc, type, -1);
	if (rc < 0)
		return rc;
	buf_reset(&sc->stream);
	bool last = false, ended = false;
	while (!last) {
		int r = sc_recv_record(sc);
		if (r < 0)
			return r;
		if (sc->msg.reqid != sc->reqid || sc->msg.fd >= 0) {
			ipc_msg_close_fd(&sc->msg);
			return sc_fail(sc, STORE_E_PROTO, "unexpected stream record");
		}
		if (sc->msg.type == IPC_ERROR)
			return sc_take_error(sc);
		if (sc->msg.type != IPC_OK || ended)
			return sc_fail(sc, STORE_E_PROTO, "unexpected stream record");
		last = (sc->msg.flags & IPC_F_MORE) == 0;
		ssize_t used;
		if (sc->stream.len == 0) {
			/* the common case: entries decoded in place, only a
			 * partial one at the end is kept */
			used = decode_items(sc, sc->msg.payload, sc->msg.len, ops, &ended);
			if (used >= 0 && (size_t)used < sc->msg.len &&
			    buf_append(&sc->stream, sc->msg.payload + used,
			    sc->msg.len - (size_t)used) < 0)
				return sc_fail(sc, STORE_E_PROTO, "stream entry too large");
		} else {
			if (buf_append(&sc->stream, sc->msg.payload, sc->msg.len) < 0)
				return sc_fail(sc, STORE_E_PROTO, "stream entry too large");
			used = decode_items(sc, sc->stream.data, sc->stream.len, ops,
			    &ended);
			if (used > 0)
				buf_consume(&sc->stream, (size_t)used);
		}
		if (used < 0)
			return sc_fail(sc, STORE_E_PROTO, "bad stream item");
		if (ended && (sc->stream.len != 0 || !last))
			return sc_fail(sc, STORE_E_PROTO, "data after stream end");
	}
	if (!ended)
		return sc_fail(sc, STORE_E_PROTO, "stream ended early");
	return STORE_OK;
}

/* ---- field helpers ------------------------------------------------------------ */

void
sc_put_uids(struct store_conn *sc, const struct store_uids *u)
{
	store_uids_put(&sc->req, u);
}

/* Sets in replies: as many ranges as a reply can carry. */
int
sc_get_uids(struct buf_cur *c, struct store_uids *u)
{
	return store_uids_get(c, u, IPC_MAX_PAYLOAD / 8);
}

int
sc_get_name(struct buf_cur *c, char *dst, size_t size)
{
	return ipc_get_str(c, dst, size);
}

void
sc_put_mbox(struct store_conn *sc, uint64_t id, const char *name)
{
	ipc_put_u64(&sc->req, id);
	ipc_put_str(&sc->req, id != 0 || name == NULL ? "" : name);
}

int
sc_get_status(struct buf_cur *c, struct store_mbox_status *st)
{
	ipc_get_u64(c, &st->id);
	ipc_get_u32(c, &st->attrs);
	ipc_get_u32(c, &st->uidvalidity);
	ipc_get_u32(c, &st->uidnext);
	ipc_get_u32(c, &st->messages);
	ipc_get_u32(c, &st->unseen);
	ipc_get_u32(c, &st->deleted);
	ipc_get_u32(c, &st->recent);
	ipc_get_u64(c, &st->size);
	return ipc_get_u64(c, &st->highestmodseq);
}

int
sc_get_quota(struct buf_cur *c, struct store_quota *q)
{
	ipc_get_u64(c, &q->storage_used);
	ipc_get_u64(c, &q->storage_limit);
	ipc_get_u64(c, &q->messages_used);
	return ipc_get_u64(c, &q->messages_limit);
}

/* ---- connection-level requests -------------------------------------------------- */

int
store_ping(struct store_conn *sc)
{
	struct buf_cur c;
	sc_start(sc);
	int rc = sc_call(sc, IPC_PING, -1, &c, NULL);
	if (rc < 0)
		return rc;
	c.p += c.left;      /* PONG echoes our (empty) payload */
	c.left = 0;
	return sc_done(sc, &c);
}

int
store_hello(struct store_conn *sc, const uint8_t *ticket, size_t len,
    char *user, size_t usersize)
{
	struct buf_cur c;
	uint64_t state;
	sc_start(sc);
	ipc_put_bytes(&sc->req, ticket, len);
	int rc = sc_call(sc, IPC_STORE_HELLO, -1, &c, NULL);
	if (rc < 0)
		return rc;
	char u[STORE_USER_MAX + 1];
	sc_get_name(&c, u, sizeof(u));
	ipc_get_u64(&c, &state);
	if ((rc = sc_done(sc, &c)) < 0)
		return rc;
	if (user != NULL && buf_strlcpy(user, usersize, u, strlen(u)) < 0)
		return sc_fail(sc, STORE_E_ARG, "user buffer too small");
	return STORE_OK;
}

int
store_client_read_notify(struct store_conn *sc)
{
	/* MSG_DONTWAIT reads until the socket is empty: an idler woken for
	 * one notification makes two system calls here, not a poll() around
	 * each (every call costs a TLB refill on a PTI kernel without PCID) */
	for (;;) {
		enum ipc_recv_result r = ipc_recv_nowait(sc->fd, &sc->msg);
		if (r == IPC_RECV_AGAIN)
			return STORE_OK;
		if (r != IPC_RECV_OK)
			return recv_failed(sc, r);
		if (sc->msg.type != IPC_STORE_NOTIFY) {
			/* with no request outstanding, only notifications come */
			ipc_msg_close_fd(&sc->msg);
			return sc_fail(sc, STORE_E_PROTO, "unsolicited reply");
		}
		int rc = take_notify(sc);
		if (rc < 0)
			return rc;
	}
}

int
store_client_next_notify(struct store_conn *sc, struct store_notify *n)
{
	if (sc->nq == 0)
		return 0;
	*n = sc->q[0];
	memmove(&sc->q[0], &sc->q[1], sizeof(sc->q[0]) * (sc->nq - 1));
	sc->nq--;
	return 1;
}

int
sc_done_fd(struct store_conn *sc, struct buf_cur *c, int got, int *fd)
{
	int rc = sc_done(sc, c);
	if (rc < 0 || got < 0) {
		if (got >= 0)
			close(got);
		return rc < 0 ? rc : sc_fail(sc, STORE_E_PROTO, "no fd in the reply");
	}
	*fd = got;
	return STORE_OK;
}

/* Requests whose reply is an empty OK. */
int
sc_call_empty(struct store_conn *sc, uint32_t type)
{
	struct buf_cur c;
	int rc = sc_call(sc, type, -1, &c, NULL);
	return rc < 0 ? rc : sc_done(sc, &c);
}

int
sc_push_id(uint64_t **v, size_t *n, size_t *cap, uint64_t id)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		uint64_t *nv = realloc(*v, ncap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = id;
	return 0;
}
