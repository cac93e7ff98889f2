/* relay_ask: the relay connection and fresh store channels from cloisterd
 * (see relay_ask.h). */
#include "relay_ask.h"
#include "ctl_ask.h"
#include "ipc.h"
#include "log.h"
#include "worker.h"

#include <errno.h>

/* Send ask (type, payload), wait for the answer of type answer: its fd,
 * or -1 with its errno. */
static int
ask(int ctl, uint32_t type, const struct buf *payload, uint32_t answer,
    int timeout_ms)
{
	static struct ipc_msg m;
	uint32_t err;
	enum ctl_ask_result r = ctl_ask(ctl, type, payload, answer, timeout_ms,
	    &m, &err);
	if (r == CTL_ASK_EOF)
		worker_exit(0);          /* the supervisor is stopping us */
	if (r == CTL_ASK_OK && (err == 0) != (m.fd >= 0 && m.nfds == 0)) {
		log_err("unexpected record on the control channel");
		ipc_msg_close_fd(&m);
		r = CTL_ASK_FAIL;
	}
	if (r != CTL_ASK_OK)
		worker_exit(1);
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
