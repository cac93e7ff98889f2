/* store_client_admin: the admin channel calls of the client library
 * (cloisterctl via the supervisor, CTL_PEER_ADMIN; see store_client.h):
 * users, their mailboxes and quota, freeze and thaw. */
#include "store_client_int.h"

int
store_adm_user_create(struct store_conn *sc, const char *user)
{
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	return sc_call_empty(sc, IPC_STORE_ADM_USER_CREATE);
}

int
store_adm_user_delete(struct store_conn *sc, const char *user)
{
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	return sc_call_empty(sc, IPC_STORE_ADM_USER_DELETE);
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
	sc_get_name(c, name, sizeof(name));
	if (sc_get_quota(c, &ui.quota) < 0)
		return -1;
	ui.name = name;
	SC_STREAM_DELIVER(uc, &ui);
	return 0;
}

int
store_adm_user_list(struct store_conn *sc, store_user_cb cb, void *arg)
{
	struct user_ctx uc = { cb, arg, false };
	struct stream_ops ops = { user_entry, NULL, &uc };
	sc_start(sc);
	return sc_call_stream(sc, IPC_STORE_ADM_USER_LIST, &ops);
}

int
store_adm_mbox_create(struct store_conn *sc, const char *user,
    const char *name, uint32_t use)
{
	struct buf_cur c;
	uint64_t id;
	uint32_t uv;
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_str(&sc->req, name);
	ipc_put_u32(&sc->req, use);
	int rc = sc_call(sc, IPC_STORE_ADM_MBOX_CREATE, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u64(&c, &id);
	ipc_get_u32(&c, &uv);
	return sc_done(sc, &c);
}

int
store_adm_mbox_delete(struct store_conn *sc, const char *user,
    const char *name)
{
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_str(&sc->req, name);
	return sc_call_empty(sc, IPC_STORE_ADM_MBOX_DELETE);
}

int
store_adm_mbox_rename(struct store_conn *sc, const char *user,
    const char *from, const char *to)
{
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_str(&sc->req, from);
	ipc_put_str(&sc->req, to);
	return sc_call_empty(sc, IPC_STORE_ADM_MBOX_RENAME);
}

int
store_adm_mbox_detail(struct store_conn *sc, const char *user,
    const char *name, bool on, bool force)
{
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_str(&sc->req, name);
	ipc_put_u32(&sc->req, on ? 1 : 0);
	ipc_put_u32(&sc->req, force ? 1 : 0);
	return sc_call_empty(sc, IPC_STORE_ADM_MBOX_DETAIL);
}

int
store_adm_mbox_list(struct store_conn *sc, const char *user, uint32_t flags,
    store_mbox_cb cb, void *arg)
{
	struct mbox_ctx m = { cb, arg, false };
	struct stream_ops ops = { sc_mbox_entry, NULL, &m };
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_u32(&sc->req, flags);
	return sc_call_stream(sc, IPC_STORE_ADM_MBOX_LIST, &ops);
}

int
store_adm_quota_get(struct store_conn *sc, const char *user,
    struct store_quota *q)
{
	struct buf_cur c;
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	int rc = sc_call(sc, IPC_STORE_ADM_QUOTA_GET, -1, &c, NULL);
	if (rc < 0)
		return rc;
	sc_get_quota(&c, q);
	return sc_done(sc, &c);
}

int
store_adm_quota_set(struct store_conn *sc, const char *user,
    uint64_t storage_limit, uint64_t messages_limit)
{
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_u64(&sc->req, storage_limit);
	ipc_put_u64(&sc->req, messages_limit);
	return sc_call_empty(sc, IPC_STORE_ADM_QUOTA_SET);
}

int
store_adm_freeze(struct store_conn *sc, uint32_t timeout_s)
{
	sc_start(sc);
	ipc_put_u32(&sc->req, timeout_s);
	return sc_call_empty(sc, IPC_STORE_ADM_FREEZE);
}

int
store_adm_thaw(struct store_conn *sc)
{
	struct buf_cur c;
	uint32_t timed_out;
	sc_start(sc);
	int rc = sc_call(sc, IPC_STORE_ADM_THAW, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u32(&c, &timed_out);
	if ((rc = sc_done(sc, &c)) < 0)
		return rc;
	return timed_out ? STORE_THAW_TIMED_OUT : STORE_OK;
}
