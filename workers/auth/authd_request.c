/* authd_request: the wire format of what authd receives (see .h). */
#include "authd_request.h"

#include <string.h>
#include <sys/un.h>
#include <netinet/in.h>

typedef int (*decode_fn)(struct buf_cur *c, const struct ipc_msg *m,
    struct authd_req *r);

static bool
mech_ok(const char *p, size_t n)
{
	if (n == 0 || n > AUTH_MECH_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '-' || p[i] == '_'))
			return false;
	return true;
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
no_fd(const struct ipc_msg *m)
{
	return m->fd >= 0 ? -1 : 0;
}

static int
dec_mechs(struct buf_cur *c, const struct ipc_msg *m, struct authd_req *r)
{
	(void)r;
	return no_fd(m) < 0 || ipc_get_end(c) < 0 ? -1 : 0;
}

/* PING: any payload, echoed by PONG. */
static int
dec_ping(struct buf_cur *c, const struct ipc_msg *m, struct authd_req *r)
{
	(void)c;
	if (no_fd(m) < 0)
		return -1;
	r->data = m->payload;
	r->len = m->len;
	r->has_data = true;
	return 0;
}

static int
dec_start(struct buf_cur *c, const struct ipc_msg *m, struct authd_req *r)
{
	const char *p;
	size_t n;
	if (no_fd(m) < 0 || ipc_get_strp(c, &p, &n, AUTH_MECH_NAME_MAX) < 0 ||
	    !mech_ok(p, n))
		return -1;
	memcpy(r->mech, p, n);
	r->mech[n] = '\0';
	if (ipc_peek_tag(c) != 0) {
		if (ipc_get_bytes(c, &r->data, &r->len, AUTH_DATA_MAX) < 0)
			return -1;
		r->has_data = true;
	}
	return ipc_get_end(c);
}

static int
dec_step(struct buf_cur *c, const struct ipc_msg *m, struct authd_req *r)
{
	if (no_fd(m) < 0 || ipc_get_bytes(c, &r->data, &r->len, AUTH_DATA_MAX) < 0)
		return -1;
	r->has_data = true;
	return ipc_get_end(c);
}

static int
dec_key(struct buf_cur *c, const struct ipc_msg *m, struct authd_req *r)
{
	uint32_t version;
	const uint8_t *p;
	size_t n;
	if (no_fd(m) < 0 || ipc_get_u32(c, &version) < 0 ||
	    version != IPC_VERSION ||
	    ipc_get_bytes(c, &p, &n, TICKET_KEY_LEN) < 0 || n != TICKET_KEY_LEN)
		return -1;
	memcpy(r->key, p, n);
	return ipc_get_end(c);
}

static int
dec_peer(struct buf_cur *c, const struct ipc_msg *m, struct authd_req *r)
{
	const char *p;
	size_t n;
	uint32_t flags;
	/* no flag means anything to authd: an admin connection is the store's */
	if (m->fd < 0 || ipc_get_strp(c, &p, &n, TICKET_SERVICE_LEN - 1) < 0 ||
	    !service_ok(p, n) || ipc_get_u64(c, &r->instance) < 0 ||
	    ipc_get_u32(c, &flags) < 0 || flags != 0)
		return -1;
	memcpy(r->service, p, n);
	r->service[n] = '\0';
	return ipc_get_end(c);
}

static int
dec_client(struct buf_cur *c, const struct ipc_msg *m, struct authd_req *r)
{
	const uint8_t *p;
	size_t n;
	if (no_fd(m) < 0 || ipc_get_u64(c, &r->instance) < 0 ||
	    ipc_get_bytes(c, &p, &n, sizeof(r->addr)) < 0 ||
	    n < sizeof(sa_family_t))
		return -1;
	memcpy(&r->addr, p, n);
	r->addrlen = n;
	/* the supervisor sends what accept() gave it: check the size fits */
	switch (r->addr.ss_family) {
	case AF_INET:
		if (n != sizeof(struct sockaddr_in))
			return -1;
		break;
	case AF_INET6:
		if (n != sizeof(struct sockaddr_in6))
			return -1;
		break;
	case AF_UNIX:
		if (n > sizeof(struct sockaddr_un))
			return -1;
		break;
	default:
		return -1;
	}
	return ipc_get_end(c);
}

static const struct {
	uint32_t type;
	decode_fn decode;
} decoders[] = {
	{ IPC_PING, dec_ping },
	{ IPC_AUTH_MECHS, dec_mechs },
	{ IPC_AUTH_START, dec_start },
	{ IPC_AUTH_STEP, dec_step },
	{ IPC_CTL_KEY, dec_key },
	{ IPC_CTL_PEER, dec_peer },
	{ IPC_CTL_CLIENT, dec_client },
};

enum authd_decode
authd_request_decode(const struct ipc_msg *m, struct authd_req *r)
{
	memset(r, 0, sizeof(*r));
	r->type = m->type;
	for (size_t i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++) {
		if (decoders[i].type != m->type)
			continue;
		struct buf_cur c;
		ipc_msg_cursor(m, &c);
		if (decoders[i].decode(&c, m, r) < 0) {
			authd_req_wipe(r);
			r->type = m->type;
			return AUTHD_MALFORMED;
		}
		return AUTHD_DECODED;
	}
	return AUTHD_UNKNOWN;
}

void
authd_req_wipe(struct authd_req *r)
{
	explicit_bzero(r, sizeof(*r));
}
