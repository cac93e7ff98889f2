/* store_client_obj: per-user objects (see store_client.h). */
#include "store_client_int.h"

#include <string.h>

int
store_obj_get(struct store_conn *sc, const char *key, struct buf *value,
    uint64_t *modseq)
{
	struct buf_cur c;
	const uint8_t *v;
	size_t n;
	if (strlen(key) > STORE_OBJ_KEY_MAX)
		return STORE_E_ARG;
	sc_start(sc);
	ipc_put_str(&sc->req, key);
	int rc = sc_call(sc, IPC_STORE_OBJ_GET, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u64(&c, modseq);
	ipc_get_bytes(&c, &v, &n, STORE_OBJ_MAX);
	if (!c.failed && buf_append(value, v, n) < 0)
		return STORE_E_ARG;
	return sc_done(sc, &c);
}

int
store_obj_set(struct store_conn *sc, const char *key, uint64_t expect,
    const void *value, size_t len, uint64_t *modseq)
{
	struct buf_cur c;
	if (strlen(key) > STORE_OBJ_KEY_MAX || len > STORE_OBJ_MAX)
		return STORE_E_ARG;
	sc_start(sc);
	ipc_put_str(&sc->req, key);
	ipc_put_u64(&sc->req, expect);
	ipc_put_bytes(&sc->req, value, len);
	int rc = sc_call(sc, IPC_STORE_OBJ_SET, -1, &c, NULL);
	if (rc < 0)
		return rc;
	ipc_get_u64(&c, modseq);
	return sc_done(sc, &c);
}
