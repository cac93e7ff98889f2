/* wire: compound request fields only stored reads (see wire.h). */
#include "wire.h"
#include "ipc.h"
#include "store_proto.h"

int
wire_get_mbox_ref(struct buf_cur *c, uint64_t *id, const char **name,
    size_t *len)
{
	if (ipc_get_u64(c, id) < 0 ||
	    ipc_get_strp(c, name, len, STORE_MBOX_NAME_MAX) < 0)
		return -1;
	if ((*id != 0) == (*len != 0)) {
		c->failed = true;
		return -1;
	}
	return 0;
}
