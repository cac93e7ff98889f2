/* push_keyd: VAPID tokens asked of keyd (push_keyd.h). */
#include "push_keyd.h"
#include "fds.h"
#include "ipc.h"
#include "ipc_types.h"
#include "log.h"
#include "worker.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#define KEYD_WAIT_MS 5000       /* keyd answers at once */

int
push_keyd_vapid(void *ctx, const char *aud, uint64_t exp, struct buf *out)
{
	static struct ipc_msg m;
	static uint32_t reqid;
	struct buf req = BUF_INIT(KEY_VAPID_AUD_MAX + 64);
	struct buf_cur c;
	const char *v;
	size_t n;
	(void)ctx;
	if (++reqid == 0)
		reqid = 1;
	ipc_put_str(&req, aud);
	ipc_put_u64(&req, exp);
	int rc = req.failed ? -1 : ipc_send(CLOISTER_FD_KEYD,
	    IPC_KEY_VAPID_SIGN, reqid, 0, &req, -1);
	bool too_long = req.failed;
	buf_free(&req);
	if (too_long)
		return -1;   /* an audience too long for keyd: this one fails */
	if (rc < 0) {
		log_err("keyd: channel lost; exiting");
		worker_exit(1);
	}
	struct pollfd p = { .fd = CLOISTER_FD_KEYD, .events = POLLIN };
	int r;
	while ((r = poll(&p, 1, KEYD_WAIT_MS)) < 0 && errno == EINTR)
		;
	if (r <= 0 || ipc_recv(CLOISTER_FD_KEYD, &m) != IPC_RECV_OK) {
		log_err("keyd: no answer; exiting");
		worker_exit(1);
	}
	ipc_msg_cursor(&m, &c);
	if (m.reqid != reqid || m.fd >= 0) {
		ipc_msg_close_fd(&m);
		log_err("keyd: reply out of step; exiting");
		worker_exit(1);
	}
	if (m.type != IPC_KEY_VAPID || ipc_get_strp(&c, &v, &n,
	    KEY_VAPID_MAX) < 0 || ipc_get_end(&c) < 0) {
		log_warn("keyd refused a VAPID token for %s", aud);
		return -1;
	}
	return buf_append(out, v, n);
}
