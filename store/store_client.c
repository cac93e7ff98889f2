/* store_client: the workers' side of the store protocol (see store_client.h
 * and docs/store-protocol.md). One request, one reply read to the end;
 * notifications met on the way are queued. Knows nothing of store internals. */
#include "store_client.h"
#include "ipc.h"
#include "meta.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOTIFY_QUEUE 64

struct store_conn {
	int fd;
	uint32_t reqid;
	char errmsg[256];
	struct buf req;            /* the request being built */
	struct buf scratch;        /* uid sets */
	struct buf stream;         /* reassembly of streamed replies */
	struct store_notify q[NOTIFY_QUEUE];
	size_t nq;
	char kw[STORE_MAX_KEYWORDS][STORE_KEYWORD_MAX + 1];
	const char *kwp[STORE_MAX_KEYWORDS];
	size_t nkw;
	bool kw_loaded;
	struct ipc_msg msg;        /* last: large */
};

/* ---- connection ----------------------------------------------------------- */

struct store_conn *
store_client_open(int fd)
{
	struct store_conn *sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		return NULL;
	sc->fd = fd;
	buf_init(&sc->req, IPC_MAX_PAYLOAD);
	buf_init(&sc->scratch, IPC_MAX_PAYLOAD);
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
	buf_free(&sc->scratch);
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

static int
fail(struct store_conn *sc, int rc, const char *msg)
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
		return fail(sc, STORE_E_PROTO, "malformed notification");
	}
	queue_notify(sc, &n);
	return 0;
}

/* Receive one record (blocking); 1 if it was a notification (queued). */
static int
recv_one(struct store_conn *sc)
{
	for (;;) {
		enum ipc_recv_result r = ipc_recv(sc->fd, &sc->msg);
		if (r == IPC_RECV_AGAIN) {
			struct pollfd p = { .fd = sc->fd, .events = POLLIN };
			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				return fail(sc, STORE_E_IO, "poll failed");
			continue;
		}
		if (r == IPC_RECV_EOF)
			return fail(sc, STORE_E_IO, "store closed the connection");
		if (r != IPC_RECV_OK)
			return fail(sc, STORE_E_IO, "store connection failed");
		if (sc->msg.type == IPC_STORE_NOTIFY) {
			int rc = take_notify(sc);
			return rc < 0 ? rc : 1;
		}
		return 0;
	}
}

/* Receive the next record that is not a notification. */
static int
recv_record(struct store_conn *sc)
{
	int rc;
	while ((rc = recv_one(sc)) == 1)
		;
	return rc;
}

static int
start(struct store_conn *sc)
{
	buf_reset(&sc->req);
	sc->errmsg[0] = '\0';
	return 0;
}

static int
send_req(struct store_conn *sc, uint32_t type, int fd)
{
	if (sc->req.failed)
		return fail(sc, STORE_E_ARG, "request too large");
	if (++sc->reqid == 0)
		sc->reqid = 1;
	if (ipc_send(sc->fd, type, sc->reqid, 0, &sc->req, fd) < 0)
		return fail(sc, STORE_E_IO, "cannot send to the store");
	return 0;
}

/* An ERROR record -> its code as a negative store_rc. */
static int
take_error(struct store_conn *sc)
{
	struct buf_cur c;
	uint32_t code;
	const char *p;
	size_t n;
	ipc_msg_cursor(&sc->msg, &c);
	ipc_msg_close_fd(&sc->msg);
	if (ipc_get_u32(&c, &code) < 0 || ipc_get_strp(&c, &p, &n, 1024) < 0 ||
	    ipc_get_end(&c) < 0 || code == 0 || code > 99)
		return fail(sc, STORE_E_PROTO, "malformed error reply");
	char msg[256];
	if (n >= sizeof(msg))
		n = sizeof(msg) - 1;
	memcpy(msg, p, n);
	msg[n] = '\0';
	return fail(sc, -(int)code, msg);
}

/* Send the built request and read a one-record reply; on 0, c covers the
 * OK payload and *fd (if fd != NULL) holds the attached fd or -1. */
static int
call(struct store_conn *sc, uint32_t type, int sendfd, struct buf_cur *c,
    int *fd)
{
	int rc = send_req(sc, type, sendfd);
	if (rc < 0)
		return rc;
	if ((rc = recv_record(sc)) < 0)
		return rc;
	if (sc->msg.reqid != sc->reqid) {
		ipc_msg_close_fd(&sc->msg);
		return fail(sc, STORE_E_PROTO, "reply to another request");
	}
	if (sc->msg.type == IPC_ERROR)
		return take_error(sc);
	bool ok_type = sc->msg.type == IPC_OK ||
	    (type == IPC_PING && sc->msg.type == IPC_PONG);
	if (!ok_type || (sc->msg.flags & IPC_F_MORE) != 0 ||
	    (fd == NULL && sc->msg.fd >= 0)) {
		ipc_msg_close_fd(&sc->msg);
		return fail(sc, STORE_E_PROTO, "unexpected reply");
	}
	if (fd != NULL)
		*fd = sc->msg.fd;
	ipc_msg_cursor(&sc->msg, c);
	return 0;
}

/* End of a one-record reply: all fields read, nothing left. */
static int
done(struct store_conn *sc, struct buf_cur *c)
{
	if (ipc_get_end(c) < 0)
		return fail(sc, STORE_E_PROTO, "malformed reply");
	return STORE_OK;
}

/* A streamed reply: entries then a trailer, across any record boundaries.
 * entry() decodes one entry and calls the user's callback only once the
 * entry decoded whole; it returns -1 when the cursor ran short. */
struct stream_ops {
	int (*entry)(struct store_conn *sc, struct buf_cur *c, void *ctx);
	int (*trailer)(struct store_conn *sc, struct buf_cur *c, void *ctx);
	void *ctx;
};

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

static int
call_stream(struct store_conn *sc, uint32_t type, const struct stream_ops *ops)
{
	int rc = send_req(sc, type, -1);
	if (rc < 0)
		return rc;
	buf_reset(&sc->stream);
	bool last = false, ended = false;
	while (!last) {
		int r = recv_record(sc);
		if (r < 0)
			return r;
		if (sc->msg.reqid != sc->reqid || sc->msg.fd >= 0) {
			ipc_msg_close_fd(&sc->msg);
			return fail(sc, STORE_E_PROTO, "unexpected stream record");
		}
		if (sc->msg.type == IPC_ERROR)
			return take_error(sc);
		if (sc->msg.type != IPC_OK || ended)
			return fail(sc, STORE_E_PROTO, "unexpected stream record");
		last = (sc->msg.flags & IPC_F_MORE) == 0;
		ssize_t used;
		if (sc->stream.len == 0) {
			/* the common case: entries decoded in place, only a
			 * partial one at the end is kept */
			used = decode_items(sc, sc->msg.payload, sc->msg.len, ops, &ended);
			if (used >= 0 && (size_t)used < sc->msg.len &&
			    buf_append(&sc->stream, sc->msg.payload + used,
			    sc->msg.len - (size_t)used) < 0)
				return fail(sc, STORE_E_PROTO, "stream entry too large");
		} else {
			if (buf_append(&sc->stream, sc->msg.payload, sc->msg.len) < 0)
				return fail(sc, STORE_E_PROTO, "stream entry too large");
			used = decode_items(sc, sc->stream.data, sc->stream.len, ops,
			    &ended);
			if (used > 0)
				buf_consume(&sc->stream, (size_t)used);
		}
		if (used < 0)
			return fail(sc, STORE_E_PROTO, "bad stream item");
		if (ended && (sc->stream.len != 0 || !last))
			return fail(sc, STORE_E_PROTO, "data after stream end");
	}
	if (!ended)
		return fail(sc, STORE_E_PROTO, "stream ended early");
	return STORE_OK;
}

/* ---- field helpers ------------------------------------------------------------ */

static void
put_uids(struct store_conn *sc, const struct store_uids *u)
{
	store_uids_put(&sc->req, u);
}

/* Sets in replies: as many ranges as a reply can carry. */
static int
get_uids(struct buf_cur *c, struct store_uids *u)
{
	return store_uids_get(c, u, IPC_MAX_PAYLOAD / 8);
}

static int
get_name(struct buf_cur *c, char *dst, size_t size)
{
	return ipc_get_str(c, dst, size);
}

static void
put_mbox(struct store_conn *sc, uint64_t id, const char *name)
{
	ipc_put_u64(&sc->req, id);
	ipc_put_str(&sc->req, id != 0 || name == NULL ? "" : name);
}

static int
get_status(struct buf_cur *c, struct store_mbox_status *st)
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

static int
get_quota(struct buf_cur *c, struct store_quota *q)
{
	ipc_get_u64(c, &q->storage_used);
	ipc_get_u64(c, &q->storage_limit);
	ipc_get_u64(c, &q->messages_used);
	return ipc_get_u64(c, &q->messages_limit);
}

static int
get_append_result(struct buf_cur *c, struct store_append_result *r)
{
	const uint8_t *p;
	size_t n;
	struct store_append_result tmp;
	if (r == NULL)
		r = &tmp;
	ipc_get_u64(c, &r->mailbox_id);
	ipc_get_u32(c, &r->uidvalidity);
	ipc_get_u32(c, &r->uid);
	ipc_get_u64(c, &r->modseq);
	ipc_get_u64(c, &r->emailid);
	ipc_get_u64(c, &r->threadid);
	if (ipc_get_bytes(c, &p, &n, STORE_BLOBID_LEN) < 0 ||
	    n != STORE_BLOBID_LEN) {
		c->failed = true;
		return -1;
	}
	memcpy(r->blobid, p, n);
	return 0;
}

/* ---- connection-level requests -------------------------------------------------- */

int
store_ping(struct store_conn *sc)
{
	struct buf_cur c;
	start(sc);
	int rc = call(sc, IPC_PING, -1, &c, NULL);
	if (rc < 0)
		return rc;
	c.p += c.left;      /* PONG echoes our (empty) payload */
	c.left = 0;
	return done(sc, &c);
}

int
store_hello(struct store_conn *sc, const uint8_t *ticket, size_t len,
    char *user, size_t usersize)
{
	struct buf_cur c;
	uint64_t state;
	start(sc);
	ipc_put_bytes(&sc->req, ticket, len);
	int rc = call(sc, IPC_STORE_HELLO, -1, &c, NULL);
	if (rc < 0)
		return rc;
	char u[STORE_USER_MAX + 1];
	get_name(&c, u, sizeof(u));
	ipc_get_u64(&c, &state);
	if ((rc = done(sc, &c)) < 0)
		return rc;
	if (user != NULL && buf_strlcpy(user, usersize, u, strlen(u)) < 0)
		return fail(sc, STORE_E_ARG, "user buffer too small");
	return STORE_OK;
}

/* ---- appends ---------------------------------------------------------------------- */

/* The metadata block goes after the message in the memfd, so that a
 * message of any size and metadata of any size travel the same way. */
static int
write_meta(struct store_conn *sc, int memfd, uint64_t size,
    const struct store_msg_meta *m, uint32_t *metalen)
{
	struct buf b = BUF_INIT(STORE_META_MAX);
	meta_encode(&b, m);
	if (b.failed) {
		buf_free(&b);
		return fail(sc, STORE_E_ARG, "message metadata too large");
	}
	int rc = STORE_OK;
	if (lseek(memfd, (off_t)size, SEEK_SET) != (off_t)size)
		rc = fail(sc, STORE_E_ARG, "cannot seek in the message fd");
	for (size_t off = 0; rc == STORE_OK && off < b.len;) {
		ssize_t w = write(memfd, b.data + off, b.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = fail(sc, STORE_E_ARG, "cannot write metadata to the message fd");
		else
			off += (size_t)w;
	}
	if (rc == STORE_OK && ftruncate(memfd, (off_t)(size + b.len)) < 0)
		rc = fail(sc, STORE_E_ARG, "cannot size the message fd");
	*metalen = (uint32_t)b.len;
	buf_free(&b);
	return rc;
}

/* res NULL: the reply has no fields (STORE_DELIVER). */
static int
append_common(struct store_conn *sc, uint32_t type, int memfd, uint64_t size,
    const struct store_msg_meta *meta, struct store_append_result *res)
{
	uint32_t metalen = 0;
	struct buf_cur c;
	int rc = write_meta(sc, memfd, size, meta, &metalen);
	if (rc < 0)
		return rc;
	ipc_put_u64(&sc->req, size);
	ipc_put_u32(&sc->req, metalen);
	if ((rc = call(sc, type, memfd, &c, NULL)) < 0)
		return rc;
	if (res != NULL)
		get_append_result(&c, res);
	return done(sc, &c);
}

int
store_rcpt_check(struct store_conn *sc, const char *user, uint64_t size)
{
	struct buf_cur c;
	start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_u64(&sc->req, size);
	int rc = call(sc, IPC_STORE_RCPT_CHECK, -1, &c, NULL);
	return rc < 0 ? rc : done(sc, &c);
}

int
store_deliver(struct store_conn *sc, const char *user, const char *detail,
    int memfd, uint64_t size, const struct store_msg_meta *meta)
{
	start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_str(&sc->req, detail != NULL ? detail : "");
	return append_common(sc, IPC_STORE_DELIVER, memfd, size, meta, NULL);
}

int
store_append(struct store_conn *sc, uint64_t mailbox_id, const char *name,
    int memfd, uint64_t size, const struct store_msg_meta *meta,
    struct store_append_result *res)
{
	start(sc);
	put_mbox(sc, mailbox_id, name);
	return append_common(sc, IPC_STORE_APPEND, memfd, size, meta, res);
}

/* ---- mailboxes ----------------------------------------------------------------------- */

struct mbox_ctx {
	store_mbox_cb cb;
	void *arg;
	bool stop;
};

static int
mbox_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct mbox_ctx *m = ctx;
	char name[STORE_MBOX_NAME_MAX + 1];
	struct store_mbox_info mi;
	(void)sc;
	get_name(c, name, sizeof(name));
	get_status(c, &mi.st);
	if (c->failed)
		return -1;
	mi.name = name;
	if (!m->stop && m->cb != NULL && m->cb(m->arg, &mi) != 0)
		m->stop = true;
	return 0;
}

int
store_mbox_list(struct store_conn *sc, uint32_t flags, store_mbox_cb cb,
    void *arg)
{
	struct mbox_ctx m = { cb, arg, false };
	struct stream_ops ops = { mbox_entry, NULL, &m };
	start(sc);
	ipc_put_u32(&sc->req, flags);
	return call_stream(sc, IPC_STORE_MBOX_LIST, &ops);
}

int
store_mbox_create(struct store_conn *sc, const char *name, uint32_t use,
    uint64_t *id)
{
	struct buf_cur c;
	uint64_t mid;
	uint32_t uv;
	start(sc);
	ipc_put_str(&sc->req, name);
	ipc_put_u32(&sc->req, use);
	int rc = call(sc, IPC_STORE_MBOX_CREATE, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u64(&c, &mid);
	ipc_get_u32(&c, &uv);
	if (id != NULL)
		*id = mid;
	return done(sc, &c);
}

/* Requests whose reply is an empty OK. */
static int
call_empty(struct store_conn *sc, uint32_t type)
{
	struct buf_cur c;
	int rc = call(sc, type, -1, &c, NULL);
	return rc < 0 ? rc : done(sc, &c);
}

int
store_mbox_delete(struct store_conn *sc, const char *name)
{
	start(sc);
	ipc_put_str(&sc->req, name);
	return call_empty(sc, IPC_STORE_MBOX_DELETE);
}

int
store_mbox_rename(struct store_conn *sc, const char *from, const char *to)
{
	start(sc);
	ipc_put_str(&sc->req, from);
	ipc_put_str(&sc->req, to);
	return call_empty(sc, IPC_STORE_MBOX_RENAME);
}

int
store_mbox_subscribe(struct store_conn *sc, const char *name, bool on)
{
	start(sc);
	ipc_put_str(&sc->req, name);
	ipc_put_u32(&sc->req, on ? 1 : 0);
	return call_empty(sc, IPC_STORE_MBOX_SUBSCRIBE);
}

int
store_mbox_set_use(struct store_conn *sc, const char *name, uint32_t use)
{
	start(sc);
	ipc_put_str(&sc->req, name);
	ipc_put_u32(&sc->req, use);
	return call_empty(sc, IPC_STORE_MBOX_SET_USE);
}

int
store_recent_claim(struct store_conn *sc, uint64_t mailbox_id, bool claim,
    uint32_t *lo, uint32_t *hi)
{
	struct buf_cur c;
	start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	ipc_put_u32(&sc->req, claim ? 1 : 0);
	int rc = call(sc, IPC_STORE_RECENT_CLAIM, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u32(&c, lo);
	ipc_get_u32(&c, hi);
	return done(sc, &c);
}

static int
status_common(struct store_conn *sc, uint64_t id, const char *name,
    struct store_mbox_status *st)
{
	struct buf_cur c;
	start(sc);
	put_mbox(sc, id, name);
	int rc = call(sc, IPC_STORE_MBOX_STATUS, -1, &c, NULL);
	if (rc < 0)
		return rc;
	get_status(&c, st);
	return done(sc, &c);
}

int
store_mbox_status(struct store_conn *sc, const char *name,
    struct store_mbox_status *st)
{
	return status_common(sc, 0, name, st);
}

int
store_mbox_status_id(struct store_conn *sc, uint64_t id,
    struct store_mbox_status *st)
{
	if (id == 0)
		return fail(sc, STORE_E_ARG, "mailbox id 0");
	return status_common(sc, id, NULL, st);
}

int
store_keywords(struct store_conn *sc, const char *const **names, size_t *n)
{
	struct buf_cur c;
	uint32_t k;
	start(sc);
	int rc = call(sc, IPC_STORE_KEYWORDS, -1, &c, NULL);
	if (rc < 0)
		return rc;
	if (ipc_get_u32(&c, &k) < 0 || k > STORE_MAX_KEYWORDS)
		return fail(sc, STORE_E_PROTO, "malformed keyword table");
	for (uint32_t i = 0; i < k; i++) {
		get_name(&c, sc->kw[i], sizeof(sc->kw[i]));
		sc->kwp[i] = sc->kw[i];
	}
	if ((rc = done(sc, &c)) < 0)
		return rc;
	sc->nkw = k;
	sc->kw_loaded = true;
	if (names != NULL)
		*names = sc->kwp;
	if (n != NULL)
		*n = sc->nkw;
	return STORE_OK;
}

int
store_keywords_cached(struct store_conn *sc, const char *const **names,
    size_t *n)
{
	if (!sc->kw_loaded)
		return store_keywords(sc, names, n);
	if (names != NULL)
		*names = sc->kwp;
	if (n != NULL)
		*n = sc->nkw;
	return STORE_OK;
}

bool
store_keywords_unknown(uint64_t mask, size_t n)
{
	return n < STORE_MAX_KEYWORDS && (mask >> n) != 0;
}

const char *
store_keyword_name(struct store_conn *sc, unsigned bit)
{
	if (bit >= STORE_MAX_KEYWORDS)
		return NULL;
	/* bits only ever get added: refresh once when we meet a new one */
	if ((!sc->kw_loaded || bit >= sc->nkw) &&
	    store_keywords(sc, NULL, NULL) < 0)
		return NULL;
	return bit < sc->nkw ? sc->kw[bit] : NULL;
}

/* ---- messages ------------------------------------------------------------------------------ */

struct msg_ctx {
	uint32_t what;
	store_msg_cb cb;
	void *arg;
	bool stop;
	uint64_t highestmodseq;
	struct store_uids *uids;   /* trailer set (failed / vanished) */
};

static int
msg_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct msg_ctx *mc = ctx;
	struct store_msg m;
	(void)sc;
	if (store_entry_get(c, mc->what, &m) < 0)
		return -1;
	if (!mc->stop && mc->cb != NULL && mc->cb(mc->arg, &m) != 0)
		mc->stop = true;
	return 0;
}

static int
modseq_trailer(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct msg_ctx *mc = ctx;
	(void)sc;
	return ipc_get_u64(c, &mc->highestmodseq);
}

static int
uids_modseq_trailer(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct msg_ctx *mc = ctx;
	(void)sc;
	if (mc->uids != NULL)
		store_uids_clear(mc->uids);
	get_uids(c, mc->uids);
	return ipc_get_u64(c, &mc->highestmodseq);
}

int
store_fetch(struct store_conn *sc, uint64_t mailbox_id,
    const struct store_uids *set, uint32_t what, uint64_t changedsince,
    store_msg_cb cb, void *arg)
{
	struct msg_ctx mc = { .what = what, .cb = cb, .arg = arg };
	struct stream_ops ops = { msg_entry, modseq_trailer, &mc };
	start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	put_uids(sc, set);
	ipc_put_u32(&sc->req, what);
	ipc_put_u64(&sc->req, changedsince);
	return call_stream(sc, IPC_STORE_FETCH, &ops);
}

int
store_body(struct store_conn *sc, uint64_t mailbox_id, uint32_t uid, int *fd,
    uint64_t *size)
{
	struct buf_cur c;
	const uint8_t *p;
	size_t n;
	uint64_t sz;
	int got = -1;
	start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	ipc_put_u32(&sc->req, uid);
	int rc = call(sc, IPC_STORE_BODY, -1, &c, &got);
	if (rc < 0)
		return rc;
	ipc_get_u64(&c, &sz);
	ipc_get_bytes(&c, &p, &n, STORE_BLOBID_LEN);
	if ((rc = done(sc, &c)) < 0 || got < 0) {
		if (got >= 0)
			close(got);
		return rc < 0 ? rc : fail(sc, STORE_E_PROTO, "no fd in the reply");
	}
	*fd = got;
	if (size != NULL)
		*size = sz;
	return STORE_OK;
}

int
store_body_batch(struct store_conn *sc, uint64_t mailbox_id,
    const uint32_t *uids, size_t n, store_body_cb cb, void *arg)
{
	uint32_t reqids[STORE_BODY_BATCH];
	if (n > STORE_BODY_BATCH)
		return fail(sc, STORE_E_ARG, "body batch too large");
	for (size_t i = 0; i < n; i++) {
		start(sc);
		ipc_put_u64(&sc->req, mailbox_id);
		ipc_put_u32(&sc->req, uids[i]);
		int rc = send_req(sc, IPC_STORE_BODY, -1);
		if (rc < 0)
			return rc;
		reqids[i] = sc->reqid;
	}
	int ret = STORE_OK;
	bool stop = false;
	for (size_t i = 0; i < n; i++) {
		int rc = recv_record(sc);
		if (rc < 0)
			return rc;
		if (sc->msg.reqid != reqids[i]) {
			ipc_msg_close_fd(&sc->msg);
			return fail(sc, STORE_E_PROTO, "reply to another request");
		}
		int fd = -1;
		uint64_t size = 0;
		if (sc->msg.type == IPC_ERROR) {
			rc = take_error(sc);
			if (rc != STORE_E_NOTFOUND) {
				if (ret == STORE_OK)
					ret = rc;
				continue;
			}
		} else {
			struct buf_cur c;
			const uint8_t *p;
			size_t len;
			if (sc->msg.type != IPC_OK || sc->msg.fd < 0 ||
			    (sc->msg.flags & IPC_F_MORE) != 0) {
				ipc_msg_close_fd(&sc->msg);
				return fail(sc, STORE_E_PROTO, "unexpected reply");
			}
			fd = sc->msg.fd;
			sc->msg.fd = -1;
			ipc_msg_cursor(&sc->msg, &c);
			ipc_get_u64(&c, &size);
			ipc_get_bytes(&c, &p, &len, STORE_BLOBID_LEN);
			if (done(sc, &c) < 0) {
				close(fd);
				return STORE_E_PROTO;
			}
		}
		if (stop || cb == NULL) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (cb(arg, uids[i], fd, size) != 0)
			stop = true;
	}
	return ret;
}

int
store_flags(struct store_conn *sc, uint64_t mailbox_id,
    const struct store_uids *set, enum store_flag_op op, uint32_t flags,
    const char *const *keywords, size_t nkeywords, uint64_t unchangedsince,
    store_msg_cb cb, void *arg, struct store_flags_result *res)
{
	struct msg_ctx mc = { .what = STORE_F_FLAGS, .cb = cb, .arg = arg,
		.uids = res != NULL ? &res->failed : NULL };
	struct stream_ops ops = { msg_entry, uids_modseq_trailer, &mc };
	start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	put_uids(sc, set);
	ipc_put_u32(&sc->req, (uint32_t)op);
	ipc_put_u32(&sc->req, flags);
	ipc_put_u32(&sc->req, (uint32_t)nkeywords);
	for (size_t i = 0; i < nkeywords; i++)
		ipc_put_str(&sc->req, keywords[i]);
	ipc_put_u64(&sc->req, unchangedsince);
	ipc_put_u32(&sc->req, cb != NULL ? 1 : 0);
	int rc = call_stream(sc, IPC_STORE_FLAGS, &ops);
	if (rc == STORE_OK && res != NULL)
		res->highestmodseq = mc.highestmodseq;
	return rc;
}

struct copy_ctx {
	struct store_copy_result *r;
};

static int
no_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	(void)ctx;
	c->failed = true;
	return fail(sc, STORE_E_PROTO, "unexpected entry");
}

static int
copy_trailer(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct store_copy_result *r = ctx;
	(void)sc;
	store_uids_clear(&r->src);
	store_uids_clear(&r->dst);
	ipc_get_u32(c, &r->uidvalidity);
	get_uids(c, &r->src);
	get_uids(c, &r->dst);
	return ipc_get_u64(c, &r->highestmodseq);
}

static int
copy_common(struct store_conn *sc, uint32_t type, uint64_t mailbox_id,
    const struct store_uids *set, uint64_t dest_id,
    struct store_copy_result *res)
{
	struct store_copy_result tmp = { 0 };
	struct store_copy_result *r = res != NULL ? res : &tmp;
	struct stream_ops ops = { no_entry, copy_trailer, r };
	start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	put_uids(sc, set);
	ipc_put_u64(&sc->req, dest_id);
	int rc = call_stream(sc, type, &ops);
	store_uids_free(&tmp.src);
	store_uids_free(&tmp.dst);
	return rc;
}

int
store_copy(struct store_conn *sc, uint64_t mailbox_id,
    const struct store_uids *set, uint64_t dest_id,
    struct store_copy_result *res)
{
	return copy_common(sc, IPC_STORE_COPY, mailbox_id, set, dest_id, res);
}

int
store_move(struct store_conn *sc, uint64_t mailbox_id,
    const struct store_uids *set, uint64_t dest_id,
    struct store_copy_result *res)
{
	return copy_common(sc, IPC_STORE_MOVE, mailbox_id, set, dest_id, res);
}

int
store_expunge(struct store_conn *sc, uint64_t mailbox_id,
    const struct store_uids *set, struct store_uids *expunged,
    uint64_t *highestmodseq)
{
	struct msg_ctx mc = { .uids = expunged };
	struct stream_ops ops = { no_entry, uids_modseq_trailer, &mc };
	start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	put_uids(sc, set);
	int rc = call_stream(sc, IPC_STORE_EXPUNGE, &ops);
	if (rc == STORE_OK && highestmodseq != NULL)
		*highestmodseq = mc.highestmodseq;
	return rc;
}

int
store_changes(struct store_conn *sc, uint64_t mailbox_id, uint64_t since,
    uint32_t what, store_msg_cb cb, void *arg,
    struct store_changes_result *res)
{
	struct msg_ctx mc = { .what = what, .cb = cb, .arg = arg,
		.uids = res != NULL ? &res->vanished : NULL };
	struct stream_ops ops = { msg_entry, uids_modseq_trailer, &mc };
	start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	ipc_put_u64(&sc->req, since);
	ipc_put_u32(&sc->req, what);
	int rc = call_stream(sc, IPC_STORE_CHANGES, &ops);
	if (rc == STORE_OK && res != NULL)
		res->highestmodseq = mc.highestmodseq;
	return rc;
}

/* ---- search ------------------------------------------------------------------------------------- */

void
store_search_init(struct store_search *s)
{
	memset(s, 0, sizeof(*s));
}

void
store_search_free(struct store_search *s)
{
	free(s->p);
	memset(s, 0, sizeof(*s));
}

static void
sput(struct store_search *s, const void *p, size_t n)
{
	if (s->failed)
		return;
	if (s->len + n > IPC_MAX_PAYLOAD / 2) {
		s->failed = true;
		return;
	}
	if (s->len + n > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 256;
		while (ncap < s->len + n)
			ncap *= 2;
		uint8_t *np = realloc(s->p, ncap);
		if (np == NULL) {
			s->failed = true;
			return;
		}
		s->p = np;
		s->cap = ncap;
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
}

static void
sput_u32(struct store_search *s, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
		(uint8_t)v };
	sput(s, b, 4);
}

static void
sput_str(struct store_search *s, const char *v)
{
	size_t n = strlen(v);
	if (n > 1024) {
		s->failed = true;
		return;
	}
	sput_u32(s, (uint32_t)n);
	sput(s, v, n);
}

/* Track the stack the program leaves, so that a bad program is refused
 * here rather than by the store. */
static void
key(struct store_search *s, enum store_search_op op, int pops)
{
	uint8_t b = (uint8_t)op;
	if (s->depth < pops || ++s->nkeys > STORE_SEARCH_MAX_KEYS)
		s->failed = true;
	s->depth += 1 - pops;
	if (s->depth > STORE_SEARCH_MAX_DEPTH)
		s->failed = true;
	sput(s, &b, 1);
}

void
store_search_op(struct store_search *s, enum store_search_op op)
{
	switch (op) {
	case STORE_S_ALL:
		key(s, op, 0);
		break;
	case STORE_S_AND:
	case STORE_S_OR:
		key(s, op, 2);
		break;
	case STORE_S_NOT:
		key(s, op, 1);
		break;
	default:
		s->failed = true;
	}
}

void
store_search_u32(struct store_search *s, enum store_search_op op, uint32_t v)
{
	if (op != STORE_S_FLAGS_SET && op != STORE_S_FLAGS_UNSET) {
		s->failed = true;
		return;
	}
	key(s, op, 0);
	sput_u32(s, v);
}

void
store_search_u64(struct store_search *s, enum store_search_op op, uint64_t v)
{
	switch (op) {
	case STORE_S_INTERNALDATE_GE: case STORE_S_INTERNALDATE_LT:
	case STORE_S_SENTDATE_GE: case STORE_S_SENTDATE_LT:
	case STORE_S_SIZE_GT: case STORE_S_SIZE_LT: case STORE_S_MODSEQ_GE:
	case STORE_S_EMAILID: case STORE_S_THREADID:
	case STORE_S_SAVEDATE_GE: case STORE_S_SAVEDATE_LT: case STORE_S_MAILBOX:
		break;
	default:
		s->failed = true;
		return;
	}
	key(s, op, 0);
	sput_u32(s, (uint32_t)(v >> 32));
	sput_u32(s, (uint32_t)v);
}

void
store_search_str(struct store_search *s, enum store_search_op op,
    const char *v)
{
	if (op != STORE_S_KEYWORD && op != STORE_S_UNKEYWORD &&
	    op != STORE_S_BODY && op != STORE_S_TEXT) {
		s->failed = true;
		return;
	}
	key(s, op, 0);
	sput_str(s, v);
}

void
store_search_header(struct store_search *s, enum store_search_field f,
    const char *value)
{
	key(s, STORE_S_HEADER, 0);
	sput_u32(s, (uint32_t)f);
	sput_str(s, value);
}

void
store_search_header_any(struct store_search *s, const char *name,
    const char *value)
{
	key(s, STORE_S_HEADER_ANY, 0);
	sput_str(s, name);
	sput_str(s, value);
}

void
store_search_uids(struct store_search *s, const struct store_uids *u)
{
	key(s, STORE_S_UIDS, 0);
	sput_u32(s, (uint32_t)u->n);
	for (size_t i = 0; i < u->n; i++) {
		sput_u32(s, u->r[i].lo);
		sput_u32(s, u->r[i].hi);
	}
}

void
store_search_result_free(struct store_search_result *r)
{
	free(r->uids);
	free(r->emailids);
	memset(r, 0, sizeof(*r));
}

static int push_id(uint64_t **v, size_t *n, size_t *cap, uint64_t id);

struct search_ctx {
	struct store_search_result *r;
	bool by_email;
};

static int
search_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct search_ctx *x = ctx;
	struct store_search_result *r = x->r;
	(void)sc;
	if (x->by_email) {
		uint64_t id;
		if (ipc_get_u64(c, &id) < 0)
			return -1;
		if (push_id(&r->emailids, &r->nemail, &r->capemail, id) < 0) {
			c->failed = true;
			return -1;
		}
		return 0;
	}
	uint32_t uid;
	if (ipc_get_u32(c, &uid) < 0)
		return -1;
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 256;
		uint32_t *nu = realloc(r->uids, ncap * sizeof(*nu));
		if (nu == NULL) {
			c->failed = true;
			return -1;
		}
		r->uids = nu;
		r->cap = ncap;
	}
	r->uids[r->n++] = uid;
	return 0;
}

static int
search_trailer(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct search_ctx *x = ctx;
	(void)sc;
	return ipc_get_u64(c, &x->r->highestmodseq);
}

int
store_search(struct store_conn *sc, uint64_t mailbox_id,
    const struct store_search *prog, const uint32_t *sort, size_t nsort,
    struct store_search_result *res)
{
	struct search_ctx x = { res, mailbox_id == 0 };
	struct stream_ops ops = { search_entry, search_trailer, &x };
	if (prog->failed || prog->depth != 1)
		return fail(sc, STORE_E_ARG, "malformed search program");
	start(sc);
	res->n = 0;
	res->nemail = 0;
	res->highestmodseq = 0;
	ipc_put_u64(&sc->req, mailbox_id);
	ipc_put_bytes(&sc->req, prog->p, prog->len);
	ipc_put_u32(&sc->req, (uint32_t)nsort);
	for (size_t i = 0; i < nsort; i++)
		ipc_put_u32(&sc->req, sort[i]);
	return call_stream(sc, IPC_STORE_SEARCH, &ops);
}

/* ---- JMAP -------------------------------------------------------------------------------------------- */

int
store_state(struct store_conn *sc, uint64_t *state)
{
	struct buf_cur c;
	start(sc);
	int rc = call(sc, IPC_STORE_STATE, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u64(&c, state);
	return done(sc, &c);
}

void
store_id_changes_free(struct store_id_changes *ch)
{
	free(ch->created);
	free(ch->updated);
	free(ch->destroyed);
	memset(ch, 0, sizeof(*ch));
}

static int
push_id(uint64_t **v, size_t *n, size_t *cap, uint64_t id)
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

static int
idch_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct store_id_changes *ch = ctx;
	uint32_t kind;
	uint64_t id;
	int r = -1;
	(void)sc;
	ipc_get_u32(c, &kind);
	if (ipc_get_u64(c, &id) < 0)
		return -1;
	if (kind == 1)
		r = push_id(&ch->created, &ch->ncreated, &ch->capc, id);
	else if (kind == 2)
		r = push_id(&ch->updated, &ch->nupdated, &ch->capu, id);
	else if (kind == 3)
		r = push_id(&ch->destroyed, &ch->ndestroyed, &ch->capd, id);
	if (r < 0)
		c->failed = true;
	return r;
}

static int
idch_trailer(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct store_id_changes *ch = ctx;
	uint32_t more;
	(void)sc;
	ipc_get_u64(c, &ch->newstate);
	int r = ipc_get_u32(c, &more);
	ch->more = more != 0;
	return r;
}

static int
id_changes(struct store_conn *sc, uint32_t type, uint64_t since, uint32_t max,
    struct store_id_changes *ch)
{
	struct stream_ops ops = { idch_entry, idch_trailer, ch };
	ch->ncreated = ch->nupdated = ch->ndestroyed = 0;
	start(sc);
	ipc_put_u64(&sc->req, since);
	ipc_put_u32(&sc->req, max);
	return call_stream(sc, type, &ops);
}

int
store_mbox_changes(struct store_conn *sc, uint64_t since, uint32_t max,
    struct store_id_changes *ch)
{
	return id_changes(sc, IPC_STORE_MBOX_CHANGES, since, max, ch);
}

int
store_email_changes(struct store_conn *sc, uint64_t since, uint32_t max,
    struct store_id_changes *ch)
{
	return id_changes(sc, IPC_STORE_EMAIL_CHANGES, since, max, ch);
}

int
store_blob_get(struct store_conn *sc, const uint8_t blobid[STORE_BLOBID_LEN],
    int *fd, uint64_t *size)
{
	struct buf_cur c;
	uint64_t sz;
	int got = -1;
	start(sc);
	ipc_put_bytes(&sc->req, blobid, STORE_BLOBID_LEN);
	int rc = call(sc, IPC_STORE_BLOB_GET, -1, &c, &got);
	if (rc < 0)
		return rc;
	ipc_get_u64(&c, &sz);
	if ((rc = done(sc, &c)) < 0 || got < 0) {
		if (got >= 0)
			close(got);
		return rc < 0 ? rc : fail(sc, STORE_E_PROTO, "no fd in the reply");
	}
	*fd = got;
	if (size != NULL)
		*size = sz;
	return STORE_OK;
}

struct loc_ctx {
	store_loc_cb cb;
	void *arg;
	bool stop;
};

static int
loc_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct loc_ctx *lc = ctx;
	struct store_email_loc l;
	(void)sc;
	ipc_get_u64(c, &l.emailid);
	ipc_get_u64(c, &l.mailbox_id);
	if (ipc_get_u32(c, &l.uid) < 0)
		return -1;
	if (!lc->stop && lc->cb != NULL && lc->cb(lc->arg, &l) != 0)
		lc->stop = true;
	return 0;
}

static int
loc_common(struct store_conn *sc, uint32_t type, uint64_t id, store_loc_cb cb,
    void *arg)
{
	struct loc_ctx lc = { cb, arg, false };
	struct stream_ops ops = { loc_entry, NULL, &lc };
	start(sc);
	ipc_put_u64(&sc->req, id);
	return call_stream(sc, type, &ops);
}

int
store_thread_get(struct store_conn *sc, uint64_t threadid, store_loc_cb cb,
    void *arg)
{
	return loc_common(sc, IPC_STORE_THREAD_GET, threadid, cb, arg);
}

int
store_email_locate(struct store_conn *sc, uint64_t emailid, store_loc_cb cb,
    void *arg)
{
	return loc_common(sc, IPC_STORE_EMAIL_LOCATE, emailid, cb, arg);
}

/* ---- quota, notifications --------------------------------------------------------------------------- */

int
store_quota_get(struct store_conn *sc, struct store_quota *q)
{
	struct buf_cur c;
	start(sc);
	int rc = call(sc, IPC_STORE_QUOTA_GET, -1, &c, NULL);
	if (rc < 0)
		return rc;
	get_quota(&c, q);
	return done(sc, &c);
}

int
store_watch(struct store_conn *sc, uint64_t mailbox_id, bool on)
{
	start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	ipc_put_u32(&sc->req, on ? 1 : 0);
	return call_empty(sc, IPC_STORE_WATCH);
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
		if (r == IPC_RECV_EOF)
			return fail(sc, STORE_E_IO, "store closed the connection");
		if (r != IPC_RECV_OK)
			return fail(sc, STORE_E_IO, "store connection failed");
		if (sc->msg.type != IPC_STORE_NOTIFY) {
			/* with no request outstanding, only notifications come */
			ipc_msg_close_fd(&sc->msg);
			return fail(sc, STORE_E_PROTO, "unsolicited reply");
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

/* ---- admin --------------------------------------------------------------------------------------------- */

int
store_adm_user_create(struct store_conn *sc, const char *user)
{
	start(sc);
	ipc_put_str(&sc->req, user);
	return call_empty(sc, IPC_STORE_ADM_USER_CREATE);
}

int
store_adm_user_delete(struct store_conn *sc, const char *user)
{
	start(sc);
	ipc_put_str(&sc->req, user);
	return call_empty(sc, IPC_STORE_ADM_USER_DELETE);
}

struct user_ctx {
	store_user_cb cb;
	void *arg;
	bool stop;
};

static int
user_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct user_ctx *uc = ctx;
	char name[STORE_USER_MAX + 1];
	struct store_user_info ui;
	(void)sc;
	get_name(c, name, sizeof(name));
	if (get_quota(c, &ui.quota) < 0)
		return -1;
	ui.name = name;
	if (!uc->stop && uc->cb != NULL && uc->cb(uc->arg, &ui) != 0)
		uc->stop = true;
	return 0;
}

int
store_adm_user_list(struct store_conn *sc, store_user_cb cb, void *arg)
{
	struct user_ctx uc = { cb, arg, false };
	struct stream_ops ops = { user_entry, NULL, &uc };
	start(sc);
	return call_stream(sc, IPC_STORE_ADM_USER_LIST, &ops);
}

int
store_adm_mbox_create(struct store_conn *sc, const char *user,
    const char *name, uint32_t use)
{
	struct buf_cur c;
	uint64_t id;
	uint32_t uv;
	start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_str(&sc->req, name);
	ipc_put_u32(&sc->req, use);
	int rc = call(sc, IPC_STORE_ADM_MBOX_CREATE, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u64(&c, &id);
	ipc_get_u32(&c, &uv);
	return done(sc, &c);
}

int
store_adm_mbox_delete(struct store_conn *sc, const char *user,
    const char *name)
{
	start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_str(&sc->req, name);
	return call_empty(sc, IPC_STORE_ADM_MBOX_DELETE);
}

int
store_adm_mbox_rename(struct store_conn *sc, const char *user,
    const char *from, const char *to)
{
	start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_str(&sc->req, from);
	ipc_put_str(&sc->req, to);
	return call_empty(sc, IPC_STORE_ADM_MBOX_RENAME);
}

int
store_adm_mbox_detail(struct store_conn *sc, const char *user,
    const char *name, bool on, bool force)
{
	start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_str(&sc->req, name);
	ipc_put_u32(&sc->req, on ? 1 : 0);
	ipc_put_u32(&sc->req, force ? 1 : 0);
	return call_empty(sc, IPC_STORE_ADM_MBOX_DETAIL);
}

int
store_adm_mbox_list(struct store_conn *sc, const char *user, uint32_t flags,
    store_mbox_cb cb, void *arg)
{
	struct mbox_ctx m = { cb, arg, false };
	struct stream_ops ops = { mbox_entry, NULL, &m };
	start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_u32(&sc->req, flags);
	return call_stream(sc, IPC_STORE_ADM_MBOX_LIST, &ops);
}

int
store_adm_quota_get(struct store_conn *sc, const char *user,
    struct store_quota *q)
{
	struct buf_cur c;
	start(sc);
	ipc_put_str(&sc->req, user);
	int rc = call(sc, IPC_STORE_ADM_QUOTA_GET, -1, &c, NULL);
	if (rc < 0)
		return rc;
	get_quota(&c, q);
	return done(sc, &c);
}

int
store_adm_quota_set(struct store_conn *sc, const char *user,
    uint64_t storage_limit, uint64_t messages_limit)
{
	start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_u64(&sc->req, storage_limit);
	ipc_put_u64(&sc->req, messages_limit);
	return call_empty(sc, IPC_STORE_ADM_QUOTA_SET);
}

int
store_adm_freeze(struct store_conn *sc, uint32_t timeout_s)
{
	start(sc);
	ipc_put_u32(&sc->req, timeout_s);
	return call_empty(sc, IPC_STORE_ADM_FREEZE);
}

int
store_adm_thaw(struct store_conn *sc)
{
	struct buf_cur c;
	uint32_t timed_out;
	start(sc);
	int rc = call(sc, IPC_STORE_ADM_THAW, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u32(&c, &timed_out);
	if ((rc = done(sc, &c)) < 0)
		return rc;
	return timed_out ? STORE_THAW_TIMED_OUT : STORE_OK;
}
