/* authd_request: the wire format of what authd receives (see .h). */
#include "authd_request.h"

#include <string.h>

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

/* AUTH_RCPT: the recipient's user name, borrowed as data/len. */
static int
dec_rcpt(struct buf_cur *c, const struct ipc_msg *m, struct authd_req *r)
{
	const char *p;
	if (no_fd(m) < 0 || ipc_get_strp(c, &p, &r->len, TICKET_USER_MAX) < 0 ||
	    r->len == 0)
		return -1;
	r->data = (const uint8_t *)p;
	return 0;
}

/* AUTH_CLIENT_ADDR: a sockaddr; its family is checked where it is used. */
static int
dec_client_addr(struct buf_cur *c, const struct ipc_msg *m,
    struct authd_req *r)
{
	if (no_fd(m) < 0 || ipc_get_bytes(c, &r->data, &r->len,
	    sizeof(struct sockaddr_storage)) < 0)
		return -1;
	r->has_data = true;
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
	{ IPC_AUTH_RCPT, dec_rcpt },
	{ IPC_AUTH_CLIENT_ADDR, dec_client_addr },
	{ IPC_AUTH_SESSION_MINT, dec_mechs },   /* no fields either */
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
