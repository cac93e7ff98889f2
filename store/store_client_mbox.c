/* store_client_mbox: the mailbox calls of the client library (see
 * store_client.h): list, create, delete, rename, subscribe, status,
 * \Recent, the keyword table and its cache, quota, watching for changes. */
#include "store_client_int.h"

#include <string.h>

int
sc_mbox_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct mbox_ctx *m = ctx;
	char name[STORE_MBOX_NAME_MAX + 1];
	struct store_mbox_info mi;
	(void)sc;
	sc_get_name(c, name, sizeof(name));
	sc_get_status(c, &mi.st);
	if (c->failed)
		return -1;
	mi.name = name;
	SC_STREAM_DELIVER(m, &mi);
	return 0;
}

int
store_mbox_list(struct store_conn *sc, uint32_t flags, store_mbox_cb cb,
    void *arg)
{
	struct mbox_ctx m = { cb, arg, false };
	struct stream_ops ops = { sc_mbox_entry, NULL, &m };
	sc_start(sc);
	ipc_put_u32(&sc->req, flags);
	return sc_call_stream(sc, IPC_STORE_MBOX_LIST, &ops);
}

int
store_mbox_create(struct store_conn *sc, const char *name, uint32_t use,
    uint64_t *id)
{
	struct buf_cur c;
	uint64_t mid;
	uint32_t uv;
	sc_start(sc);
	ipc_put_str(&sc->req, name);
	ipc_put_u32(&sc->req, use);
	int rc = sc_call(sc, IPC_STORE_MBOX_CREATE, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u64(&c, &mid);
	ipc_get_u32(&c, &uv);
	if (id != NULL)
		*id = mid;
	return sc_done(sc, &c);
}

int
store_mbox_delete(struct store_conn *sc, const char *name)
{
	sc_start(sc);
	ipc_put_str(&sc->req, name);
	return sc_call_empty(sc, IPC_STORE_MBOX_DELETE);
}

int
store_mbox_rename(struct store_conn *sc, const char *from, const char *to)
{
	sc_start(sc);
	ipc_put_str(&sc->req, from);
	ipc_put_str(&sc->req, to);
	return sc_call_empty(sc, IPC_STORE_MBOX_RENAME);
}

int
store_mbox_subscribe(struct store_conn *sc, const char *name, bool on)
{
	sc_start(sc);
	ipc_put_str(&sc->req, name);
	ipc_put_u32(&sc->req, on ? 1 : 0);
	return sc_call_empty(sc, IPC_STORE_MBOX_SUBSCRIBE);
}

int
store_mbox_set_use(struct store_conn *sc, const char *name, uint32_t use)
{
	sc_start(sc);
	ipc_put_str(&sc->req, name);
	ipc_put_u32(&sc->req, use);
	return sc_call_empty(sc, IPC_STORE_MBOX_SET_USE);
}

int
store_recent_claim(struct store_conn *sc, uint64_t mailbox_id, bool claim,
    uint32_t *lo, uint32_t *hi)
{
	struct buf_cur c;
	sc_start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	ipc_put_u32(&sc->req, claim ? 1 : 0);
	int rc = sc_call(sc, IPC_STORE_RECENT_CLAIM, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u32(&c, lo);
	ipc_get_u32(&c, hi);
	return sc_done(sc, &c);
}

static int
status_common(struct store_conn *sc, uint64_t id, const char *name,
    struct store_mbox_status *st)
{
	struct buf_cur c;
	sc_start(sc);
	sc_put_mbox(sc, id, name);
	int rc = sc_call(sc, IPC_STORE_MBOX_STATUS, -1, &c, NULL);
	if (rc < 0)
		return rc;
	sc_get_status(&c, st);
	return sc_done(sc, &c);
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
		return sc_fail(sc, STORE_E_ARG, "mailbox id 0");
	return status_common(sc, id, NULL, st);
}

int
store_keywords(struct store_conn *sc, const char *const **names, size_t *n)
{
	struct buf_cur c;
	uint32_t k;
	sc_start(sc);
	int rc = sc_call(sc, IPC_STORE_KEYWORDS, -1, &c, NULL);
	if (rc < 0)
		return rc;
	if (ipc_get_u32(&c, &k) < 0 || k > STORE_MAX_KEYWORDS)
		return sc_fail(sc, STORE_E_PROTO, "malformed keyword table");
	for (uint32_t i = 0; i < k; i++) {
		sc_get_name(&c, sc->kw[i], sizeof(sc->kw[i]));
		sc->kwp[i] = sc->kw[i];
	}
	if ((rc = sc_done(sc, &c)) < 0)
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

int
store_quota_get(struct store_conn *sc, struct store_quota *q)
{
	struct buf_cur c;
	sc_start(sc);
	int rc = sc_call(sc, IPC_STORE_QUOTA_GET, -1, &c, NULL);
	if (rc < 0)
		return rc;
	sc_get_quota(&c, q);
	return sc_done(sc, &c);
}

int
store_watch(struct store_conn *sc, uint64_t mailbox_id, bool on)
{
	sc_start(sc);
	ipc_put_u64(&sc->req, mailbox_id);
	ipc_put_u32(&sc->req, on ? 1 : 0);
	return sc_call_empty(sc, IPC_STORE_WATCH);
}
