/* store_client_import: the admin channel's migration calls (see
 * store_client_import.h). */
#include "store_client_import.h"
#include "store_client_int.h"
#include "meta.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int
store_adm_import_mbox(struct store_conn *sc, const char *user,
    const struct store_import_mbox *in, struct store_import_mbox_result *out)
{
	struct buf_cur c;
	uint32_t keep = 0;
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_str(&sc->req, in->name);
	ipc_put_u32(&sc->req, in->uidvalidity);
	ipc_put_u32(&sc->req, in->uidnext);
	ipc_put_u32(&sc->req, in->use);
	ipc_put_u32(&sc->req, in->flags);
	int rc = sc_call(sc, IPC_STORE_ADM_IMPORT_MBOX, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u64(&c, &out->id);
	ipc_get_u32(&c, &out->uidvalidity);
	ipc_get_u32(&c, &out->uidnext);
	ipc_get_u32(&c, &keep);
	out->keep = keep != 0;
	return sc_done(sc, &c);
}

int
store_import_batch_init(struct store_import_batch *b)
{
	b->n = 0;
	b->len = b->msgbytes = 0;
	b->memfd = memfd_create("cloister-import", MFD_CLOEXEC);
	return b->memfd < 0 ? -1 : 0;
}

void
store_import_batch_free(struct store_import_batch *b)
{
	if (b->memfd >= 0)
		close(b->memfd);
	b->memfd = -1;
}

static int
put_bytes(int fd, uint64_t at, const void *p, size_t n)
{
	const uint8_t *q = p;
	while (n > 0) {
		ssize_t w = pwrite(fd, q, n, (off_t)at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		q += w;
		n -= (size_t)w;
		at += (uint64_t)w;
	}
	return 0;
}

int
store_import_batch_add(struct store_conn *sc, struct store_import_batch *b,
    uint32_t uid, const void *data, size_t len,
    const struct store_msg_meta *meta)
{
	static struct buf mb = BUF_INIT(STORE_META_MAX);
	if (b->n >= STORE_IMPORT_BATCH_MAX)
		return sc_fail(sc, STORE_E_ARG, "batch full");
	if (len == 0 || len > STORE_MSG_MAX)
		return sc_fail(sc, STORE_E_ARG, "message size out of range");
	buf_reset(&mb);
	meta_encode(&mb, meta);
	if (mb.failed)
		return sc_fail(sc, STORE_E_ARG, "message metadata too large");
	if (put_bytes(b->memfd, b->len, data, len) < 0 ||
	    put_bytes(b->memfd, b->len + len, mb.data, mb.len) < 0)
		return sc_fail(sc, STORE_E_ARG, "cannot write the batch memfd");
	b->e[b->n].uid = uid;
	b->e[b->n].size = len;
	b->e[b->n].metalen = (uint32_t)mb.len;
	b->n++;
	b->len += len + mb.len;
	b->msgbytes += len;
	return STORE_OK;
}

int
store_adm_import_append(struct store_conn *sc, const char *user,
    uint64_t mailbox_id, struct store_import_batch *b, uint32_t *uids)
{
	struct buf_cur c;
	uint32_t n = 0;
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_u64(&sc->req, mailbox_id);
	ipc_put_u32(&sc->req, b->n);
	for (uint32_t i = 0; i < b->n; i++) {
		ipc_put_u32(&sc->req, b->e[i].uid);
		ipc_put_u64(&sc->req, b->e[i].size);
		ipc_put_u32(&sc->req, b->e[i].metalen);
	}
	uint32_t sent = b->n;
	int rc = sc_call(sc, IPC_STORE_ADM_IMPORT_APPEND, b->memfd, &c, NULL);
	/* stored is done with the fd once it replied: the memfd is reused */
	b->n = 0;
	b->len = b->msgbytes = 0;
	if (ftruncate(b->memfd, 0) < 0 && rc == 0)
		rc = sc_fail(sc, STORE_E_ARG, "cannot empty the batch memfd");
	if (rc < 0)
		return rc;
	ipc_get_u32(&c, &n);
	if (n != sent)
		return sc_fail(sc, STORE_E_PROTO, "batch reply of another size");
	for (uint32_t i = 0; i < n; i++) {
		uint32_t u = 0;
		ipc_get_u32(&c, &u);
		if (uids != NULL)
			uids[i] = u;
	}
	return sc_done(sc, &c);
}

struct listed_ctx {
	store_listed_cb cb;
	void *arg;
	bool stop;
	struct store_listed_mbox *mb;
};

static int
listed_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct listed_ctx *lc = ctx;
	struct store_listed m;
	const uint8_t *h;
	size_t hn;
	uint32_t nkw = 0;
	ipc_get_u32(c, &m.uid);
	ipc_get_u32(c, &m.flags);
	ipc_get_u64(c, &m.internaldate);
	ipc_get_u64(c, &m.size);
	ipc_get_bytes(c, &h, &hn, STORE_BLOBID_LEN);
	ipc_get_u32(c, &nkw);
	if (c->failed || nkw > STORE_MAX_KEYWORDS)
		return -1;
	memset(m.hash, 0, sizeof(m.hash));
	if (hn == STORE_BLOBID_LEN)
		memcpy(m.hash, h, hn);
	static char kw[STORE_MAX_KEYWORDS][STORE_KEYWORD_MAX + 1];
	static const char *kwp[STORE_MAX_KEYWORDS];
	(void)sc;
	for (uint32_t i = 0; i < nkw; i++) {
		if (sc_get_name(c, kw[i], sizeof(kw[i])) < 0)
			return -1;
		kwp[i] = kw[i];
	}
	m.keywords = kwp;
	m.nkeywords = nkw;
	SC_STREAM_DELIVER(lc, &m);
	return 0;
}

static int
listed_trailer(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct listed_ctx *lc = ctx;
	(void)sc;
	ipc_get_u64(c, &lc->mb->id);
	ipc_get_u32(c, &lc->mb->uidvalidity);
	ipc_get_u32(c, &lc->mb->uidnext);
	return c->failed ? -1 : 0;
}

int
store_adm_msg_list(struct store_conn *sc, const char *user, const char *name,
    store_listed_cb cb, void *arg, struct store_listed_mbox *mb)
{
	struct store_listed_mbox tmp;
	struct listed_ctx lc = { cb, arg, false, mb != NULL ? mb : &tmp };
	struct stream_ops ops = { listed_entry, listed_trailer, &lc };
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_str(&sc->req, name);
	return sc_call_stream(sc, IPC_STORE_ADM_MSG_LIST, &ops);
}

int
store_adm_body(struct store_conn *sc, const char *user, uint64_t mailbox_id,
    uint32_t uid, int *fd, uint64_t *size)
{
	struct buf_cur c;
	const uint8_t *p;
	size_t n;
	uint64_t sz = 0;
	int got = -1;
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_u64(&sc->req, mailbox_id);
	ipc_put_u32(&sc->req, uid);
	int rc = sc_call(sc, IPC_STORE_ADM_BODY, -1, &c, &got);
	if (rc < 0)
		return rc;
	ipc_get_u64(&c, &sz);
	ipc_get_bytes(&c, &p, &n, STORE_BLOBID_LEN);
	if ((rc = sc_done_fd(sc, &c, got, fd)) < 0)
		return rc;
	*size = sz;
	return STORE_OK;
}
