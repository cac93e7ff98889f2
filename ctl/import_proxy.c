/* import_proxy: what cloisterctl import's parent passes between its reader
 * child and the store (see import.h). The child parses mail that came from
 * the network; it never holds the admin channel, which may act for every
 * user of the shard. It speaks the store protocol to this proxy, which
 * forwards only the migration requests that name the user being imported
 * (no export's body reads, no other user, no user or quota change) and
 * relays the replies. */
#include "import.h"
#include "ipc.h"

#include <string.h>
#include <unistd.h>

static const uint32_t allowed_types[] = {
	IPC_STORE_ADM_IMPORT_MBOX, IPC_STORE_ADM_IMPORT_APPEND,
	IPC_STORE_ADM_MSG_LIST,
};

bool
import_proxy_allows(const struct ipc_msg *m, const char *user)
{
	bool known = false;
	for (size_t i = 0; i < sizeof(allowed_types) / sizeof(allowed_types[0]); i++)
		known = known || m->type == allowed_types[i];
	if (!known || m->flags & IPC_F_MORE)
		return false;
	/* each of them starts with the user it acts for */
	struct buf_cur c;
	const char *p;
	size_t n;
	ipc_msg_cursor(m, &c);
	return ipc_get_strp(&c, &p, &n, STORE_USER_MAX) == 0 &&
	    n == strlen(user) && memcmp(p, user, n) == 0;
}

static int
refuse(int child, const struct ipc_msg *m)
{
	struct buf b = BUF_INIT(512);
	ipc_put_u32(&b, IPC_ERR_UNEXPECTED);
	ipc_put_str(&b, "not a request of this import");
	int rc = ipc_send(child, IPC_ERROR, m->reqid, 0, &b, -1);
	buf_free(&b);
	return rc;
}

/* The store's reply to reqid, every record of it, to the child. */
static int
relay_reply(int child, int store, uint32_t reqid)
{
	static struct ipc_msg out;
	for (;;) {
		if (ipc_recv(store, &out) != IPC_RECV_OK)
			return -1;
		if (out.reqid != reqid) {      /* nothing else is asked for */
			ipc_msg_close_fd(&out);
			continue;
		}
		int rc = ipc_send_raw(child, out.type, out.reqid,
		    out.flags & IPC_F_MORE, out.payload, out.len, out.fd);
		bool more = (out.flags & IPC_F_MORE) != 0;
		ipc_msg_close_fd(&out);
		if (rc < 0)
			return -1;
		if (!more)
			return 0;
	}
}

int
import_proxy_run(int child, int store, const char *user)
{
	static struct ipc_msg in;
	for (;;) {
		enum ipc_recv_result r = ipc_recv(child, &in);
		if (r == IPC_RECV_EOF)
			return 0;
		if (r != IPC_RECV_OK)
			return -1;
		if (!import_proxy_allows(&in, user)) {
			ipc_msg_close_fd(&in);
			if (refuse(child, &in) < 0)
				return -1;
			continue;
		}
		int rc = ipc_send_raw(store, in.type, in.reqid, 0, in.payload,
		    in.len, in.fd);
		ipc_msg_close_fd(&in);
		if (rc < 0 || relay_reply(child, store, in.reqid) < 0)
			return -1;
	}
}
