/* store_client_msg: the message calls of the client library (see
 * store_client.h): append and delivery (the metadata block after the
 * message in the memfd), fetch, bodies, flags, copy and move, expunge,
 * changes. */
#include "store_client_int.h"
#include "meta.h"

#include <string.h>
#include <unistd.h>

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
		return sc_fail(sc, STORE_E_ARG, "message metadata too large");
	}
	int rc = STORE_OK;
	if (lseek(memfd, (off_t)size, SEEK_SET) != (off_t)size)
		rc = sc_fail(sc, STORE_E_ARG, "cannot seek in the message fd");
	if (rc == STORE_OK && buf_write_all(memfd, b.data, b.len) < 0)
		rc = sc_fail(sc, STORE_E_ARG, "cannot write metadata to the message fd");
	if (rc == STORE_OK && ftruncate(memfd, (off_t)(size + b.len)) < 0)
		rc = sc_fail(sc, STORE_E_ARG, "cannot size the message fd");
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
	if ((rc = sc_call(sc, type, memfd, &c, NULL)) < 0)
		return rc;
	if (res != NULL)
		get_append_result(&c, res);
	return sc_done(sc, &c);
}

int
store_rcpt_check(struct store_conn *sc, const char *user, uint64_t size)
{
	struct buf_cur c;
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_u64(&sc->req, size);
	int rc = sc_call(sc, IPC_STORE_RCPT_CHECK, -1, &c, NULL);
	return rc < 0 ? rc : sc_done(sc, &c);
}

int
store_rcpt_provision(struct store_conn *sc, const uint8_t *ticket, size_t len)
{
	struct buf_cur c;
	sc_start(sc);
	ipc_put_bytes(&sc->req, ticket, len);
	int rc = sc_call(sc, IPC_STORE_RCPT_PROVISION, -1, &c, NULL);
	return rc < 0 ? rc : sc_done(sc, &c);
}

int
store_deliver(struct store_conn *sc, const char *user, const char *detail,
    int memfd, uint64_t size, const struct store_msg_meta *meta)
{
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_str(&sc->req, detail != NULL ? detail : "");
	return append_common(sc, IPC_STORE_DELIVER, memfd, size, meta, NULL);
}

int
store_deliver_to(struct store_conn *sc, const char *user, const char *mailbox,
    bool create, const char *const *flags, size_t nflags,
    const struct store_seen_rec *seen, size_t nseen, int memfd,
    uint64_t size, const struct store_msg_meta *meta)
{
	if (nflags > STORE_MAX_KEYWORDS + 5 || nseen > STORE_DELIVER_SEEN_MAX)
		return STORE_E_ARG;
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_str(&sc->req, mailbox);
	ipc_put_u32(&sc->req, create ? 1 : 0);
	ipc_put_u32(&sc->req, (uint32_t)nflags);
	for (size_t i = 0; i < nflags; i++)
		ipc_put_str(&sc->req, flags[i]);
	ipc_put_u32(&sc->req, (uint32_t)nseen);
	for (size_t i = 0; i < nseen; i++) {
		ipc_put_u32(&sc->req, seen[i].kind |
		    (seen[i].if_new ? STORE_SEEN_IF_NEW : 0));
		ipc_put_bytes(&sc->req, seen[i].key, STORE_SEEN_KEY_LEN);
		ipc_put_u64(&sc->req, seen[i].seconds);
	}
	return append_common(sc, IPC_STORE_DELIVER_TO, memfd, size, meta, NULL);
}

int
store_append(struct store_conn *sc, uint64_t mailbox_id, const char *name,
    int memfd, uint64_t size, const struct store_msg_meta *meta,
    struct store_append_result *res)
{
	sc_start(sc);
	sc_put_mbox(sc, mailbox_id, name);
	return append_common(sc, IPC_STORE_APPEND, memfd, size, meta, res);
}

int
store_blob_append(struct store_conn *sc, uint64_t mailbox_id, const char *name,
    const uint8_t blobid[STORE_BLOBID_LEN], int memfd,
    const struct store_msg_meta *meta, struct store_append_result *res)
{
	uint32_t metalen = 0;
	struct buf_cur c;
	sc_start(sc);
	sc_put_mbox(sc, mailbox_id, name);
	ipc_put_bytes(&sc->req, blobid, STORE_BLOBID_LEN);
	/* the memfd carries the metadata block alone */
	if (ftruncate(memfd, 0) < 0)
		return sc_fail(sc, STORE_E_ARG, "cannot empty the metadata fd");
	int rc = write_meta(sc, memfd, 0, meta, &metalen);
	if (rc < 0)
		return rc;
	ipc_put_u32(&sc->req, metalen);
	if ((rc = sc_call(sc, IPC_STORE_BLOB_APPEND, memfd, &c, NULL)) < 0)
		return rc;
	get_append_result(&c, res);
	return sc_done(sc, &c);
}

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
	SC_STREAM_DELIVER(mc, &m);
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
	sc_get_uids(c, mc->uids);
	return ipc_get_u64(c, &mc->highestmodseq);
}

int
store_fetch(struct store_conn *sc, uint64_t mailbox_id,
    const struct store_uids *set, uint32_t what, uint64_t changedsince,
    store_msg_cb cb, void *arg)
{
	struct msg_ctx mc = { .what = what, .cb = cb, .arg = arg };
	struct stream_ops ops = { msg_entry, modseq_trailer, &mc };
	sc_start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	sc_put_uids(sc, set);
	ipc_put_u32(&sc->req, what);
	ipc_put_u64(&sc->req, changedsince);
	return sc_call_stream(sc, IPC_STORE_FETCH, &ops);
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
	sc_start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	ipc_put_u32(&sc->req, uid);
	int rc = sc_call(sc, IPC_STORE_BODY, -1, &c, &got);
	if (rc < 0)
		return rc;
	ipc_get_u64(&c, &sz);
	ipc_get_bytes(&c, &p, &n, STORE_BLOBID_LEN);
	if ((rc = sc_done_fd(sc, &c, got, fd)) < 0)
		return rc;
	if (size != NULL)
		*size = sz;
	return STORE_OK;
}

/* The reply of STORE_BODIES, checked whole before anything is used: the
 * entries name the UIDs asked for, in order, and as many say "present" as
 * fds came. */
static int
bodies_reply(struct store_conn *sc, const uint32_t *uids, size_t n,
    uint64_t *size, bool *present)
{
	struct buf_cur c;
	uint32_t count = 0;
	unsigned have = 0;
	if (sc->msg.type != IPC_OK || (sc->msg.flags & IPC_F_MORE) != 0 ||
	    sc->msg.fd >= 0)
		return sc_fail(sc, STORE_E_PROTO, "unexpected reply");
	ipc_msg_cursor(&sc->msg, &c);
	ipc_get_u32(&c, &count);
	if (count != n)
		return sc_fail(sc, STORE_E_PROTO, "bodies for another set");
	for (size_t i = 0; i < n && !c.failed; i++) {
		uint32_t uid = 0, here = 0;
		ipc_get_u32(&c, &uid);
		ipc_get_u32(&c, &here);
		ipc_get_u64(&c, &size[i]);
		if (uid != uids[i] || here > 1)
			return sc_fail(sc, STORE_E_PROTO, "bodies for another set");
		present[i] = here == 1;
		have += here;
	}
	if (sc_done(sc, &c) < 0)
		return STORE_E_PROTO;
	if (have != sc->msg.nfds)
		return sc_fail(sc, STORE_E_PROTO, "bodies and fds disagree");
	return STORE_OK;
}

int
store_bodies_send(struct store_conn *sc, uint64_t mailbox_id,
    const uint32_t *uids, size_t n, uint32_t *reqid)
{
	if (n == 0 || n > STORE_BODY_BATCH)
		return sc_fail(sc, STORE_E_ARG, "body batch size");
	sc_start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	ipc_put_u32(&sc->req, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		ipc_put_u32(&sc->req, uids[i]);
	int rc = sc_send_req(sc, IPC_STORE_BODIES, -1);
	*reqid = sc->reqid;
	return rc;
}

int
store_bodies_recv(struct store_conn *sc, uint32_t reqid,
    const uint32_t *uids, size_t n, store_body_cb cb, void *arg)
{
	sc->take_fds = true;
	int rc = sc_recv_record(sc);
	sc->take_fds = false;
	if (rc < 0)
		return rc;
	uint64_t size[STORE_BODY_BATCH];
	bool present[STORE_BODY_BATCH];
	if (sc->msg.reqid != reqid)
		rc = sc_fail(sc, STORE_E_PROTO, "reply to another request");
	else if (sc->msg.type == IPC_ERROR) {
		rc = sc_take_error(sc);
		/* the mailbox went away: every message of it is gone */
		if (rc == STORE_E_NOTFOUND) {
			memset(present, 0, sizeof(present));
			rc = STORE_OK;
		}
	} else
		rc = bodies_reply(sc, uids, n, size, present);
	if (rc < 0) {
		ipc_msg_close_fd(&sc->msg);
		return rc;
	}
	/* the fds are the callbacks' from here: each gets its own */
	unsigned k = 0;
	bool stop = false;
	for (size_t i = 0; i < n; i++) {
		int fd = present[i] ? sc->msg.fds[k] : -1;
		if (present[i])
			sc->msg.fds[k++] = -1;
		if (stop || cb == NULL) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (cb(arg, uids[i], fd, size[i]) != 0)
			stop = true;
	}
	sc->msg.nfds = 0;
	return STORE_OK;
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
	sc_start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	sc_put_uids(sc, set);
	ipc_put_u32(&sc->req, (uint32_t)op);
	ipc_put_u32(&sc->req, flags);
	ipc_put_u32(&sc->req, (uint32_t)nkeywords);
	for (size_t i = 0; i < nkeywords; i++)
		ipc_put_str(&sc->req, keywords[i]);
	ipc_put_u64(&sc->req, unchangedsince);
	ipc_put_u32(&sc->req, cb != NULL ? 1 : 0);
	int rc = sc_call_stream(sc, IPC_STORE_FLAGS, &ops);
	if (rc == STORE_OK && res != NULL)
		res->highestmodseq = mc.highestmodseq;
	return rc;
}

struct copy_ctx {
	struct store_copy_result *r;
};

static int
sc_no_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	(void)ctx;
	c->failed = true;
	return sc_fail(sc, STORE_E_PROTO, "unexpected entry");
}

static int
copy_trailer(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct store_copy_result *r = ctx;
	(void)sc;
	store_uids_clear(&r->src);
	store_uids_clear(&r->dst);
	ipc_get_u32(c, &r->uidvalidity);
	sc_get_uids(c, &r->src);
	sc_get_uids(c, &r->dst);
	return ipc_get_u64(c, &r->highestmodseq);
}

static int
copy_common(struct store_conn *sc, uint32_t type, uint64_t mailbox_id,
    const struct store_uids *set, uint64_t dest_id,
    struct store_copy_result *res)
{
	struct store_copy_result tmp = { 0 };
	struct store_copy_result *r = res != NULL ? res : &tmp;
	struct stream_ops ops = { sc_no_entry, copy_trailer, r };
	sc_start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	sc_put_uids(sc, set);
	ipc_put_u64(&sc->req, dest_id);
	int rc = sc_call_stream(sc, type, &ops);
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
	struct stream_ops ops = { sc_no_entry, uids_modseq_trailer, &mc };
	sc_start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	sc_put_uids(sc, set);
	int rc = sc_call_stream(sc, IPC_STORE_EXPUNGE, &ops);
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
	sc_start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	ipc_put_u64(&sc->req, since);
	ipc_put_u32(&sc->req, what);
	int rc = sc_call_stream(sc, IPC_STORE_CHANGES, &ops);
	if (rc == STORE_OK && res != NULL)
		res->highestmodseq = mc.highestmodseq;
	return rc;
}
