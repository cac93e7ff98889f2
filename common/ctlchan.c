/* ctlchan: the supervisor's control channel, read by one rule (see
 * ctlchan.h). */
#include "ctlchan.h"
#include "buf.h"
#include "log.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

void
ctlchan_init(struct ctlchan *cc, int fd, uint32_t peer_flags,
    bool takes_client)
{
	memset(cc, 0, sizeof(*cc));
	cc->fd = fd;
	cc->peer_flags = peer_flags;
	cc->takes_client = takes_client;
	cc->takes_key = true;
	cc->msg.fd = -1;
}

void
ctlchan_init_keyless(struct ctlchan *cc, int fd)
{
	ctlchan_init(cc, fd, 0, false);
	cc->takes_key = false;
	cc->have_key = true;   /* no key to wait for: CTL_PEER at once */
}

/* Service names come from the supervisor's config (common/config.c:
 * letters, digits, '-', '_'). */
static bool
service_ok(const char *p, size_t n)
{
	if (n == 0 || n >= TICKET_SERVICE_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '_'))
			return false;
	return true;
}

static int
dec_key(struct buf_cur *c, const struct ipc_msg *m, struct ctl_rec *r)
{
	uint32_t version;
	const uint8_t *p;
	size_t n;
	if (m->fd >= 0 || ipc_get_u32(c, &version) < 0 ||
	    version != IPC_VERSION ||
	    ipc_get_bytes(c, &p, &n, TICKET_KEY_LEN) < 0 || n != TICKET_KEY_LEN)
		return -1;
	memcpy(r->key, p, n);
	return ipc_get_end(c);
}

static int
dec_peer(struct buf_cur *c, const struct ipc_msg *m, struct ctl_rec *r,
    uint32_t flags_taken)
{
	const char *p;
	size_t n;
	if (m->fd < 0 || ipc_get_strp(c, &p, &n, TICKET_SERVICE_LEN - 1) < 0 ||
	    !service_ok(p, n) || ipc_get_u64(c, &r->instance) < 0 ||
	    ipc_get_u32(c, &r->flags) < 0 || (r->flags & ~flags_taken) != 0)
		return -1;
	memcpy(r->service, p, n);
	r->service[n] = '\0';
	return ipc_get_end(c);
}

/* The supervisor sends what accept() gave it: the size must fit the
 * family. */
static bool
sockaddr_ok(const struct sockaddr_storage *sa, size_t n)
{
	switch (sa->ss_family) {
	case AF_INET:
		return n == sizeof(struct sockaddr_in);
	case AF_INET6:
		return n == sizeof(struct sockaddr_in6);
	case AF_UNIX:
		return n <= sizeof(struct sockaddr_un);
	default:
		return false;
	}
}

static int
dec_client(struct buf_cur *c, const struct ipc_msg *m, struct ctl_rec *r)
{
	const uint8_t *p;
	size_t n;
	if (m->fd >= 0 || ipc_get_u64(c, &r->instance) < 0 ||
	    ipc_get_bytes(c, &p, &n, sizeof(r->addr)) < 0 ||
	    n < sizeof(sa_family_t))
		return -1;
	memcpy(&r->addr, p, n);
	r->addrlen = n;
	return sockaddr_ok(&r->addr, n) ? ipc_get_end(c) : -1;
}

static const char *
type_name(uint32_t type)
{
	const char *n = ipc_type_name(type);
	return n ? n : "unknown type";
}

int
ctlchan_accept(struct ctlchan *cc, struct ipc_msg *m, struct ctl_rec *r,
    char *why, size_t whylen)
{
	struct buf_cur c;
	int rc;
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	ipc_msg_cursor(m, &c);
	if (m->flags & IPC_F_MORE) {
		buf_snprintf(why, whylen, "%s continued", type_name(m->type));
		return -1;
	}
	if (m->type == IPC_CTL_KEY && cc->takes_key) {
		if (cc->have_key) {
			buf_snprintf(why, whylen, "second ctl_key");
			return -1;
		}
		r->kind = CTL_REC_KEY;
		rc = dec_key(&c, m, r);
	} else if (m->type == IPC_CTL_PEER ||
	    (m->type == IPC_CTL_CLIENT && cc->takes_client)) {
		if (!cc->have_key) {
			buf_snprintf(why, whylen, "%s before ctl_key",
			    type_name(m->type));
			return -1;
		}
		r->kind = m->type == IPC_CTL_PEER ? CTL_REC_PEER : CTL_REC_CLIENT;
		rc = r->kind == CTL_REC_PEER ? dec_peer(&c, m, r, cc->peer_flags) :
		    dec_client(&c, m, r);
	} else {
		buf_snprintf(why, whylen, "unexpected %s", type_name(m->type));
		return -1;
	}
	if (rc < 0) {
		ctlchan_wipe(r);
		buf_snprintf(why, whylen, "malformed %s", type_name(m->type));
		return -1;
	}
	if (r->kind == CTL_REC_KEY)
		cc->have_key = true;
	if (r->kind == CTL_REC_PEER) {
		r->fd = m->fd;
		m->fd = -1;
	}
	return 0;
}

enum ctlchan_result
ctlchan_read(struct ctlchan *cc, struct ctl_rec *r)
{
	char why[96];
	enum ipc_recv_result rr = ipc_recv_nowait(cc->fd, &cc->msg);
	if (rr == IPC_RECV_AGAIN)
		return CTLCHAN_AGAIN;
	if (rr == IPC_RECV_EOF || rr == IPC_RECV_ERR) {
		log_info("the supervisor closed the control channel%s%s; exiting",
		    rr == IPC_RECV_ERR ? ": " : "",
		    rr == IPC_RECV_ERR ? strerror(errno) : "");
		return CTLCHAN_CLOSED;
	}
	if (rr == IPC_RECV_VERSION)
		log_fatal("control channel: %s (the supervisor)",
		    ipc_recv_strerror(rr, &cc->msg, why, sizeof(why)));
	if (rr != IPC_RECV_OK)
		log_fatal("control channel: malformed record from the supervisor");
	int rc = ctlchan_accept(cc, &cc->msg, r, why, sizeof(why));
	explicit_bzero(cc->msg.raw, IPC_HDR_SIZE + cc->msg.len);
	if (rc < 0)
		log_fatal("control channel: %s from the supervisor", why);
	return CTLCHAN_RECORD;
}

void
ctlchan_wipe(struct ctl_rec *r)
{
	explicit_bzero(r, sizeof(*r));
	r->fd = -1;
}
