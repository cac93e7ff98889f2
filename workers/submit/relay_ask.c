/* relay_ask: the relay connection and fresh store channels from cloisterd
 * (see relay_ask.h). */
#include "relay_ask.h"
#include "ipc.h"
#include "log.h"
#include "worker.h"

#include <errno.h>
#include <poll.h>

/* Send ask (type, payload), wait for the answer of type reply: its fd, or
 * -1 with its errno. */
static int
ask(int ctl, uint32_t type, const struct buf *payload, uint32_t reply,
    int timeout_ms)
{
	static struct ipc_msg m;
	char why[96];
	if (ipc_send_raw(ctl, type, 0, 0, payload != NULL ? payload->data : NULL,
	    payload != NULL ? payload->len : 0, -1) < 0) {
		log_err("control channel: %m");
		worker_exit(1);
	}
	struct pollfd p = { .fd = ctl, .events = POLLIN };
	int n;
	while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (n == 0) {
		/* a reply still on its way would be out of step: start over */
		log_err("no %s from the supervisor in %d ms", ipc_type_name(reply),
		    timeout_ms);
		worker_exit(1);
	}
	enum ipc_recv_result r = ipc_recv(ctl, &m);
	if (r == IPC_RECV_EOF)
		worker_exit(0);          /* the supervisor is stopping us */
	if (r != IPC_RECV_OK) {
		log_err("control channel: %s", ipc_recv_strerror(r, &m, why,
		    sizeof(why)));
		worker_exit(1);
	}
	struct buf_cur c;
	uint32_t err = 0;
	ipc_msg_cursor(&m, &c);
	ipc_get_u32(&c, &err);
	if (m.type != reply || m.reqid != 0 || ipc_get_end(&c) < 0 ||
	    (err == 0) != (m.fd >= 0) || err > 4095) {
		log_err("unexpected record on the control channel");
		ipc_msg_close_fd(&m);
		worker_exit(1);
	}
	if (err != 0) {
		errno = (int)err;
		return -1;
	}
	int fd = m.fd;
	m.fd = -1;
	return fd;
}

int
relay_ask(int ctl, int timeout_ms)
{
	return ask(ctl, IPC_CTL_RELAY_ASK, NULL, IPC_CTL_RELAY, timeout_ms);
}

int
store_ask(int ctl, unsigned shard, int timeout_ms)
{
	static struct buf b = BUF_INIT(16);
	buf_reset(&b);
	ipc_put_u32(&b, shard);
	return ask(ctl, IPC_CTL_STORE_ASK, &b, IPC_CTL_STORE_CHAN, timeout_ms);
}
