/* store_client_snooze: the snooze calls of the client library (see
 * store_client.h and store/snooze.h). */
#include "store_client_int.h"

int
store_snooze_set(struct store_conn *sc, const struct store_snooze *s)
{
	sc_start(sc);
	ipc_put_u64(&sc->req, s->emailid);
	ipc_put_u64(&sc->req, s->until);
	ipc_put_u64(&sc->req, s->mailbox_id);
	ipc_put_str(&sc->req, s->add);
	ipc_put_str(&sc->req, s->rm);
	return sc_call_empty(sc, IPC_STORE_SNOOZE_SET);
}

struct snooze_ctx {
	store_snooze_cb cb;
	void *arg;
	bool stop;
};

static int
snooze_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct snooze_ctx *k = ctx;
	struct store_snooze s;
	(void)sc;
	ipc_get_u64(c, &s.emailid);
	ipc_get_u64(c, &s.until);
	ipc_get_u64(c, &s.mailbox_id);
	ipc_get_str(c, s.add, sizeof(s.add));
	if (ipc_get_str(c, s.rm, sizeof(s.rm)) < 0)
		return -1;
	SC_STREAM_DELIVER(k, &s);
	return 0;
}

int
store_snooze_get(struct store_conn *sc, const uint64_t *ids, size_t n,
    store_snooze_cb cb, void *arg)
{
	int rc = STORE_OK;
	for (size_t at = 0; at < n && rc == STORE_OK; at += STORE_LOCATE_MAX) {
		size_t k = n - at < STORE_LOCATE_MAX ? n - at : STORE_LOCATE_MAX;
		struct snooze_ctx ctx = { cb, arg, false };
		struct stream_ops ops = { snooze_entry, NULL, &ctx };
		sc_start(sc);
		ipc_put_u32(&sc->req, (uint32_t)k);
		for (size_t i = 0; i < k; i++)
			ipc_put_u64(&sc->req, ids[at + i]);
		rc = sc_call_stream(sc, IPC_STORE_SNOOZE_GET, &ops);
	}
	return rc;
}
