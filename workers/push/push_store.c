/* push_store: the push right's client with its event queue (push_store.h). */
#include "push_store.h"
#include "ipc_types.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>

#define STORE_WAIT_MS 30000     /* a reply: stored answers at once */

static void
queue_event(struct push_store *ps, const struct push_event *ev)
{
	for (size_t i = 0; i < ps->nq; i++)
		if (strcmp(ps->q[i].user, ev->user) == 0) {
			ps->q[i].kind |= ev->kind;   /* one pass covers both */
			if (ev->state > ps->q[i].state)
				ps->q[i].state = ev->state;
			return;
		}
	if (ps->nq == PUSH_STORE_QUEUE) {
		ps->dropped++;
		if ((ps->dropped & (ps->dropped - 1)) == 0)   /* 1, 2, 4, ... */
			log_warn("push events: %lu dropped (queue full)", ps->dropped);
		return;
	}
	ps->q[ps->nq++] = *ev;
}

static int
take_event(struct push_store *ps)
{
	struct buf_cur c;
	struct push_event ev;
	uint32_t kind = 0;
	ipc_msg_cursor(&ps->msg, &c);
	if (ps->msg.fd >= 0 || ps->msg.reqid != 0 ||
	    ipc_get_str(&c, ev.user, sizeof(ev.user)) < 0 ||
	    ipc_get_u64(&c, &ev.state) < 0 || ipc_get_u32(&c, &kind) < 0 ||
	    ipc_get_end(&c) < 0 || kind == 0 || kind > 7) {
		ipc_msg_close_fd(&ps->msg);
		log_err("store: malformed push event");
		return -1;
	}
	ev.kind = kind;
	queue_event(ps, &ev);
	return 0;
}

/* One record: 1 an event (queued), 0 another record in ps->msg, -1 the
 * end. wait: block (up to STORE_WAIT_MS) instead of returning 2 for none. */
static int
recv_record(struct push_store *ps, bool wait)
{
	for (;;) {
		enum ipc_recv_result r = ipc_recv_nowait(ps->fd, &ps->msg);
		if (r == IPC_RECV_AGAIN && !wait)
			return 2;
		if (r == IPC_RECV_AGAIN) {
			struct pollfd p = { .fd = ps->fd, .events = POLLIN };
			int n = poll(&p, 1, STORE_WAIT_MS);
			if (n == 0 || (n < 0 && errno != EINTR)) {
				log_err("store: no reply");
				return -1;
			}
			continue;
		}
		if (r != IPC_RECV_OK) {
			log_err("store: channel %s", r == IPC_RECV_EOF ? "closed" :
			    "failed");
			return -1;
		}
		if (ps->msg.type == IPC_STORE_PUSH_EVENT)
			return take_event(ps) < 0 ? -1 : 1;
		return 0;
	}
}

int
push_store_read(struct push_store *ps)
{
	for (;;) {
		int r = recv_record(ps, false);
		if (r == 2)
			return 0;
		if (r < 0)
			return -1;
		if (r == 0) {   /* no request is outstanding */
			ipc_msg_close_fd(&ps->msg);
			log_err("store: unsolicited reply");
			return -1;
		}
	}
}

/* Send the request built in ps->req and wait for its reply, queueing the
 * events before it: 0 with c over an OK payload, the IPC_ERR_* code of
 * an ERROR, or -1. */
static int
call(struct push_store *ps, uint32_t type, struct buf_cur *c)
{
	if (++ps->reqid == 0)
		ps->reqid = 1;
	if (ps->req.failed || ipc_send(ps->fd, type, ps->reqid, 0, &ps->req,
	    -1) < 0) {
		log_err("store: cannot send");
		return -1;
	}
	int r;
	while ((r = recv_record(ps, true)) == 1)
		;
	if (r < 0)
		return -1;
	ipc_msg_cursor(&ps->msg, c);
	if (ps->msg.fd >= 0 || ps->msg.reqid != ps->reqid) {
		ipc_msg_close_fd(&ps->msg);
		log_err("store: reply out of step");
		return -1;
	}
	uint32_t code = 0;
	if (ps->msg.type == IPC_ERROR)
		return ipc_get_u32(c, &code) < 0 || code == 0 ? -1 : (int)code;
	return ps->msg.type == IPC_OK ? 0 : -1;
}

int
push_store_open(struct push_store *ps, int fd)
{
	struct buf_cur c;
	memset(ps, 0, offsetof(struct push_store, msg));
	ps->fd = fd;
	buf_init(&ps->req, IPC_MAX_PAYLOAD);
	ipc_put_u32(&ps->req, 1);
	int rc = call(ps, IPC_STORE_PUSH_WATCH, &c);
	if (rc != 0 || ipc_get_end(&c) < 0) {
		log_err("store: STORE_PUSH_WATCH refused (%d): is the push right"
		    " in the policy?", rc);
		return -1;
	}
	return 0;
}

int
push_store_next(struct push_store *ps, struct push_event *ev)
{
	if (ps->nq == 0)
		return 0;
	*ev = ps->q[0];
	memmove(&ps->q[0], &ps->q[1], sizeof(ps->q[0]) * (ps->nq - 1));
	ps->nq--;
	return 1;
}

int
push_store_get(struct push_store *ps, const char *user, struct buf *out,
    uint64_t *version)
{
	struct buf_cur c;
	const uint8_t *v;
	size_t n;
	buf_reset(&ps->req);
	buf_reset(out);
	ipc_put_str(&ps->req, user);
	int rc = call(ps, IPC_STORE_PUSH_GET, &c);
	*version = 0;
	if (rc == IPC_ERR_NOTFOUND)
		return 0;   /* the user is gone: nothing to send */
	if (rc != 0 || ipc_get_u64(&c, version) < 0 ||
	    ipc_get_bytes(&c, &v, &n, IPC_MAX_PAYLOAD) < 0 ||
	    ipc_get_end(&c) < 0 || buf_append(out, v, n) < 0) {
		log_err("store: STORE_PUSH_GET %s failed (%d)", user, rc);
		return -1;
	}
	return 0;
}

int
push_store_put(struct push_store *ps, const char *user, uint64_t expect,
    const void *doc, size_t n)
{
	struct buf_cur c;
	uint64_t version;
	buf_reset(&ps->req);
	ipc_put_str(&ps->req, user);
	ipc_put_u64(&ps->req, expect);
	ipc_put_bytes(&ps->req, doc, n);
	int rc = call(ps, IPC_STORE_PUSH_PUT, &c);
	if (rc == IPC_ERR_CONFLICT)
		return 1;
	if (rc != 0 || ipc_get_u64(&c, &version) < 0 || ipc_get_end(&c) < 0) {
		log_err("store: STORE_PUSH_PUT %s failed (%d)", user, rc);
		return -1;
	}
	return 0;
}
