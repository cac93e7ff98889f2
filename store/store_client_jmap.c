/* store_client_jmap: the JMAP-facing calls of the client library (see
 * store_client.h): state, mailbox and email changes, blobs, threads, where
 * an email is. */
#include "store_client_int.h"

#include <stdlib.h>
#include <string.h>

int
store_state(struct store_conn *sc, uint64_t *state)
{
	struct buf_cur c;
	sc_start(sc);
	int rc = sc_call(sc, IPC_STORE_STATE, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u64(&c, state);
	return sc_done(sc, &c);
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
		r = sc_push_id(&ch->created, &ch->ncreated, &ch->capc, id);
	else if (kind == 2)
		r = sc_push_id(&ch->updated, &ch->nupdated, &ch->capu, id);
	else if (kind == 3)
		r = sc_push_id(&ch->destroyed, &ch->ndestroyed, &ch->capd, id);
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
	sc_start(sc);
	ipc_put_u64(&sc->req, since);
	ipc_put_u32(&sc->req, max);
	return sc_call_stream(sc, type, &ops);
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
store_thread_changes(struct store_conn *sc, uint64_t since, uint32_t max,
    struct store_id_changes *ch)
{
	return id_changes(sc, IPC_STORE_THREAD_CHANGES, since, max, ch);
}

struct peer_ctx {
	int (*cb)(void *arg, uint64_t emailid);
	void *arg;
	bool stop;
};

static int
peer_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct peer_ctx *pc = ctx;
	uint64_t id;
	(void)sc;
	if (ipc_get_u64(c, &id) < 0)
		return -1;
	if (!pc->stop && pc->cb(pc->arg, id) != 0)
		pc->stop = true;
	return 0;
}

int
store_thread_peers(struct store_conn *sc, uint64_t since,
    int (*cb)(void *arg, uint64_t emailid), void *arg)
{
	struct peer_ctx pc = { cb, arg, false };
	struct stream_ops ops = { peer_entry, NULL, &pc };
	sc_start(sc);
	ipc_put_u64(&sc->req, since);
	return sc_call_stream(sc, IPC_STORE_THREAD_PEERS, &ops);
}

int
store_blob_get(struct store_conn *sc, const uint8_t blobid[STORE_BLOBID_LEN],
    int *fd, uint64_t *size)
{
	struct buf_cur c;
	uint64_t sz;
	int got = -1;
	sc_start(sc);
	ipc_put_bytes(&sc->req, blobid, STORE_BLOBID_LEN);
	int rc = sc_call(sc, IPC_STORE_BLOB_GET, -1, &c, &got);
	if (rc < 0)
		return rc;
	ipc_get_u64(&c, &sz);
	if ((rc = sc_done_fd(sc, &c, got, fd)) < 0)
		return rc;
	if (size != NULL)
		*size = sz;
	return STORE_OK;
}

int
store_blob_upload(struct store_conn *sc, int memfd, uint64_t size,
    uint8_t blobid[STORE_BLOBID_LEN])
{
	struct buf_cur c;
	const uint8_t *p;
	size_t n;
	uint64_t sz;
	sc_start(sc);
	ipc_put_u64(&sc->req, size);
	int rc = sc_call(sc, IPC_STORE_BLOB_UPLOAD, memfd, &c, NULL);
	if (rc < 0)
		return rc;
	if (ipc_get_bytes(&c, &p, &n, STORE_BLOBID_LEN) == 0 &&
	    n == STORE_BLOBID_LEN)
		memcpy(blobid, p, n);
	else
		c.failed = true;
	ipc_get_u64(&c, &sz);
	return sc_done(sc, &c);
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
	SC_STREAM_DELIVER(lc, &l);
	return 0;
}

static int
loc_common(struct store_conn *sc, uint32_t type, uint64_t id, store_loc_cb cb,
    void *arg)
{
	struct loc_ctx lc = { cb, arg, false };
	struct stream_ops ops = { loc_entry, NULL, &lc };
	sc_start(sc);
	ipc_put_u64(&sc->req, id);
	return sc_call_stream(sc, type, &ops);
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

int
store_email_locate_many(struct store_conn *sc, const uint64_t *ids, size_t n,
    store_loc_cb cb, void *arg)
{
	int rc = STORE_OK;
	for (size_t at = 0; at < n && rc == STORE_OK; at += STORE_LOCATE_MAX) {
		size_t k = n - at < STORE_LOCATE_MAX ? n - at : STORE_LOCATE_MAX;
		struct loc_ctx lc = { cb, arg, false };
		struct stream_ops ops = { loc_entry, NULL, &lc };
		sc_start(sc);
		ipc_put_u32(&sc->req, (uint32_t)k);
		for (size_t i = 0; i < k; i++)
			ipc_put_u64(&sc->req, ids[at + i]);
		rc = sc_call_stream(sc, IPC_STORE_EMAIL_LOCATE_MANY, &ops);
	}
	return rc;
}

struct tc_ctx {
	store_thread_count_cb cb;
	void *arg;
	bool stop;
};

static int
tc_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct tc_ctx *tc = ctx;
	struct store_thread_count t;
	(void)sc;
	ipc_get_u64(c, &t.mailbox_id);
	ipc_get_u32(c, &t.threads);
	if (ipc_get_u32(c, &t.unread_threads) < 0)
		return -1;
	SC_STREAM_DELIVER(tc, &t);
	return 0;
}

int
store_thread_counts(struct store_conn *sc, store_thread_count_cb cb,
    void *arg)
{
	struct tc_ctx tc = { cb, arg, false };
	struct stream_ops ops = { tc_entry, NULL, &tc };
	sc_start(sc);
	return sc_call_stream(sc, IPC_STORE_THREAD_COUNTS, &ops);
}
