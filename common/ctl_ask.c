/* ctl_ask: a worker's question to cloisterd (ctl_ask.h). */
#include "ctl_ask.h"
#include "log.h"

#include <errno.h>
#include <poll.h>

enum ctl_ask_result
ctl_ask(int ctl, uint32_t ask, const struct buf *payload, uint32_t answer,
    int timeout_ms, struct ipc_msg *m, uint32_t *err)
{
	char why[96];
	if (ipc_send_raw(ctl, ask, 0, 0, payload != NULL ? payload->data : NULL,
	    payload != NULL ? payload->len : 0, -1) < 0) {
		log_err("control channel: %m");
		return CTL_ASK_FAIL;
	}
	struct pollfd p = { .fd = ctl, .events = POLLIN };
	int n;
	while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (n == 0) {
		/* a reply still on its way would be out of step: start over */
		log_err("no %s from the supervisor in %d ms",
		    ipc_type_name(answer), timeout_ms);
		return CTL_ASK_FAIL;
	}
	enum ipc_recv_result r = ipc_recv_fds(ctl, m);
	if (r == IPC_RECV_EOF)
		return CTL_ASK_EOF;
	if (r != IPC_RECV_OK) {
		log_err("control channel: %s", ipc_recv_strerror(r, m, why,
		    sizeof(why)));
		return CTL_ASK_FAIL;
	}
	struct buf_cur c;
	*err = 0;
	ipc_msg_cursor(m, &c);
	if (ipc_get_u32(&c, err) < 0 || ipc_get_end(&c) < 0 ||
	    m->type != answer || m->reqid != 0 || *err > 4095) {
		log_err("unexpected record on the control channel");
		ipc_msg_close_fd(m);
		return CTL_ASK_FAIL;
	}
	return CTL_ASK_OK;
}
