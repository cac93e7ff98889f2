/* store_client_slots: JMAP request slots (see store_client.h). */
#include "store_client_int.h"

int
store_api_slot(struct store_conn *sc, bool take, uint32_t limit)
{
	struct buf_cur c;
	uint32_t inflight;
	sc_start(sc);
	ipc_put_u32(&sc->req, take ? 1 : 0);
	ipc_put_u32(&sc->req, limit);
	int rc = sc_call(sc, IPC_STORE_API_SLOT, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u32(&c, &inflight);
	return sc_done(sc, &c);
}
