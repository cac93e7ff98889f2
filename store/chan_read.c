/* chan_read: reading a peer's channel into the request table, and the
 * supervisor's control channel (see chan.h). Above dispatch.c: the
 * channel layer below it only sends. */
#include "chan.h"
#include "ctlchan.h"
#include "dispatch.h"
#include "key.h"
#include "log.h"

#include <sys/socket.h>

static struct ipc_msg rmsg;
static bool control_closed;

bool
chan_control_closed(void)
{
	return control_closed;
}

void
chan_read(struct chan *ch)
{
	ch->early_out = false;      /* heard from: no longer waited for */
	if (chan_hold_for_fds(ch))
		return;
	enum ipc_recv_result r = ipc_recv(ch->fd, &rmsg);
	switch (r) {
	case IPC_RECV_OK:
		dispatch(ch, &rmsg);
		ipc_msg_close_fd(&rmsg);
		return;
	case IPC_RECV_AGAIN:
		return;
	case IPC_RECV_BAD: {
		/* a record the framing refused (its fds are closed): say so
		 * and keep serving */
		log_warn("malformed record from %s[%llu]", ch->service,
		    (unsigned long long)ch->instance);
		struct req q = { .ch = ch, .m = &rmsg, .type = rmsg.type,
			.fd = -1, .rfd = -1 };
		chan_reply_begin(&q);
		chan_reply_finish(&q, req_fail(&q, IPC_ERR_MALFORMED,
		    "malformed record"));
		return;
	}
	case IPC_RECV_VERSION: {
		/* nothing of a peer of another protocol can be trusted to
		 * parse, not even an error reply */
		char why[64];
		log_warn("%s[%llu]: %s; closing the channel", ch->service,
		    (unsigned long long)ch->instance,
		    ipc_recv_strerror(r, &rmsg, why, sizeof(why)));
		chan_close(ch);
		return;
	}
	default:
		chan_close(ch);
	}
}

bool
chan_next_writes(struct chan *ch)
{
	uint8_t h[IPC_HDR_SIZE];
	struct iovec iov = { h, sizeof(h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	/* a peek leaves the record and its fds queued */
	if (recvmsg(ch->fd, &mh, MSG_PEEK | MSG_DONTWAIT) < (ssize_t)sizeof(h))
		return false;
	uint32_t type = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];          /* big-endian: common/ipc.c */
	return dispatch_type_writes(type);
}

/* The supervisor's channel: the ticket key, then the peers, by the rule
 * of ctlchan.h (anything else ends the process there). */
void
chan_control_read(int fd)
{
	static struct ctlchan cc = { .fd = -1 };
	struct ctl_rec r;
	if (cc.fd != fd)
		ctlchan_init(&cc, fd, IPC_CTL_PEER_ADMIN, false);
	switch (ctlchan_read(&cc, &r)) {
	case CTLCHAN_AGAIN:
		return;
	case CTLCHAN_CLOSED:
		control_closed = true;
		return;
	case CTLCHAN_RECORD:
		break;
	}
	if (r.kind == CTL_REC_KEY)
		key_set(r.key);
	else
		chan_add(r.fd, r.service, r.instance,
		    (r.flags & IPC_CTL_PEER_ADMIN) != 0);
	ctlchan_wipe(&r);
}
