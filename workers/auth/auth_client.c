/* auth_client: blocking request/reply with authd (see auth_client.h). */
#include "auth_client.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
auth_client_init(struct auth_client *ac, int fd)
{
	memset(ac, 0, sizeof(*ac));
	ac->fd = fd;
	ac->next_reqid = 1;
	ac->msg = malloc(sizeof(*ac->msg));
	if (ac->msg == NULL)
		return -1;
	ac->msg->fd = -1;
	return 0;
}

void
auth_client_close(struct auth_client *ac)
{
	if (ac->msg != NULL) {
		explicit_bzero(ac->msg, sizeof(*ac->msg));
		free(ac->msg);
		ac->msg = NULL;
	}
	ac->broken = true;
}

void
auth_reply_wipe(struct auth_reply *r)
{
	explicit_bzero(r, sizeof(*r));
}

static const char *const fail_names[] = {
	[AUTH_FAIL_CREDENTIALS] = "credentials",
	[AUTH_FAIL_RATE] = "rate",
	[AUTH_FAIL_MECH] = "mechanism",
	[AUTH_FAIL_PROTOCOL] = "protocol",
	[AUTH_FAIL_TEMPORARY] = "temporary",
	[AUTH_FAIL_DONE] = "done",
};

const char *
auth_fail_name(uint32_t reason)
{
	if (reason < sizeof(fail_names) / sizeof(fail_names[0]) &&
	    fail_names[reason] != NULL)
		return fail_names[reason];
	return "unknown";
}

/* A fault: log it once, and refuse every later call. */
static enum auth_status
fault(struct auth_client *ac, const char *what)
{
	if (!ac->broken)
		log_err("authd: %s", what);
	ac->broken = true;
	if (ac->msg != NULL) {
		ipc_msg_close_fd(ac->msg);
		explicit_bzero(ac->msg->raw, sizeof(ac->msg->raw));
	}
	return AUTH_ST_ERROR;
}

/* Send one request and wait for the record that answers it. */
static int
roundtrip(struct auth_client *ac, uint32_t type, const struct buf *req)
{
	if (ac->broken || ac->msg == NULL)
		return -1;
	uint32_t reqid = ac->next_reqid++;
	if (ac->next_reqid == 0)
		ac->next_reqid = 1;
	if (ipc_send(ac->fd, type, reqid, 0, req, -1) < 0) {
		fault(ac, errno == EMSGSIZE ? "request too large" :
		    "cannot send to authd");
		return -1;
	}
	struct pollfd p = { .fd = ac->fd, .events = POLLIN };
	for (;;) {
		int n = poll(&p, 1, AUTH_CLIENT_TIMEOUT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fault(ac, n == 0 ? "no reply within the timeout" :
			    "poll failed");
			return -1;
		}
		enum ipc_recv_result rr = ipc_recv(ac->fd, ac->msg);
		if (rr == IPC_RECV_AGAIN)
			continue;
		if (rr == IPC_RECV_EOF) {
			fault(ac, "closed the channel");
			return -1;
		}
		if (rr != IPC_RECV_OK) {
			char why[64];
			fault(ac, rr == IPC_RECV_BAD ? "malformed reply record" :
			    ipc_recv_strerror(rr, ac->msg, why, sizeof(why)));
			return -1;
		}
		break;
	}
	if (ac->msg->fd >= 0) {
		fault(ac, "reply carried an fd");
		return -1;
	}
	if (ac->msg->reqid != reqid) {
		fault(ac, "reply to another request");
		return -1;
	}
	return 0;
}

static bool
mech_name_ok(const char *p, size_t n)
{
	if (n == 0 || n > AUTH_MECH_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

static int
decode_mechs(struct auth_client *ac)
{
	struct buf_cur c;
	uint32_t n;
	ipc_msg_cursor(ac->msg, &c);
	if (ipc_get_u32(&c, &n) < 0 || n > AUTH_MECHS_MAX)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const char *p;
		size_t len;
		if (ipc_get_strp(&c, &p, &len, AUTH_MECH_NAME_MAX) < 0 ||
		    !mech_name_ok(p, len) ||
		    ipc_get_u32(&c, &ac->mechs[i].flags) < 0)
			return -1;
		memcpy(ac->mechs[i].name, p, len);
		ac->mechs[i].name[len] = '\0';
	}
	if (ipc_get_end(&c) < 0)
		return -1;
	ac->nmechs = n;
	return 0;
}

int
auth_client_mechs(struct auth_client *ac, const struct auth_mech **mechs,
    size_t *n)
{
	if (!ac->have_mechs) {
		if (roundtrip(ac, IPC_AUTH_MECHS, NULL) < 0)
			return -1;
		if (ac->msg->type != IPC_AUTH_MECHS || decode_mechs(ac) < 0) {
			fault(ac, "bad reply to auth_mechs");
			return -1;
		}
		ac->have_mechs = true;
	}
	*mechs = ac->mechs;
	*n = ac->nmechs;
	return 0;
}

int
auth_client_address(struct auth_client *ac, const struct sockaddr *sa,
    size_t len)
{
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	ipc_put_bytes(&b, sa, len);
	int r = roundtrip(ac, IPC_AUTH_CLIENT_ADDR, &b);
	buf_free(&b);
	if (r < 0)
		return -1;
	if (ac->msg->type != IPC_AUTH_CLIENT_ADDR || ac->msg->len != 0) {
		fault(ac, "auth_client_addr refused");
		return -1;
	}
	return 0;
}

const struct auth_mech *
auth_client_find_mech(struct auth_client *ac, const char *name)
{
	const struct auth_mech *m;
	size_t n;
	if (auth_client_mechs(ac, &m, &n) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(m[i].name, name) == 0)
			return &m[i];
	return NULL;
}

static int
get_data(struct buf_cur *c, struct auth_reply *r)
{
	const uint8_t *p;
	if (ipc_get_bytes(c, &p, &r->data_len, AUTH_DATA_MAX) < 0)
		return -1;
	memcpy(r->data, p, r->data_len);
	r->has_data = true;
	return 0;
}

/* Decode the answer to START or STEP into r. */
static enum auth_status
decode_verdict(struct auth_client *ac, struct auth_reply *r)
{
	struct buf_cur c;
	const uint8_t *p;
	size_t n;
	enum auth_status st;

	memset(r, 0, sizeof(*r));
	ipc_msg_cursor(ac->msg, &c);
	switch (ac->msg->type) {
	case IPC_AUTH_CHALLENGE:
		st = get_data(&c, r) < 0 ? AUTH_ST_ERROR : AUTH_ST_CHALLENGE;
		break;
	case IPC_AUTH_SUCCESS:
		st = AUTH_ST_SUCCESS;
		if (ipc_get_str(&c, r->user, sizeof(r->user)) < 0 ||
		    r->user[0] == '\0' ||
		    ipc_get_bytes(&c, &p, &n, TICKET_MAX) < 0 ||
		    ipc_get_u64(&c, &r->expiry) < 0 ||
		    (ipc_peek_tag(&c) != 0 && get_data(&c, r) < 0))
			st = AUTH_ST_ERROR;
		else {
			memcpy(r->ticket, p, n);
			r->ticket_len = n;
		}
		break;
	case IPC_AUTH_FAILURE:
		st = AUTH_ST_FAILURE;
		if (ipc_get_u32(&c, &r->reason) < 0 ||
		    ipc_get_str(&c, r->text, sizeof(r->text)) < 0)
			st = AUTH_ST_ERROR;
		break;
	default:
		st = AUTH_ST_ERROR;
		break;
	}
	if (st == AUTH_ST_ERROR || ipc_get_end(&c) < 0) {
		auth_reply_wipe(r);
		return fault(ac, "bad reply to an authentication step");
	}
	explicit_bzero(ac->msg->raw, IPC_HDR_SIZE + ac->msg->len);
	return st;
}

enum auth_status
auth_client_start(struct auth_client *ac, const char *mech, const void *ir,
    size_t irlen, struct auth_reply *r)
{
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	/* IMAP clients may send the name in any case; authd wants it upper */
	char up[AUTH_MECH_NAME_MAX + 1];
	size_t mlen = strnlen(mech, sizeof(up));
	for (size_t i = 0; i < mlen && i < AUTH_MECH_NAME_MAX; i++)
		up[i] = (mech[i] >= 'a' && mech[i] <= 'z') ?
		    (char)(mech[i] - 'a' + 'A') : mech[i];
	if (!mech_name_ok(up, mlen) || (ir != NULL && irlen > AUTH_DATA_MAX)) {
		/* the caller's bug or the client's: not worth a round trip */
		memset(r, 0, sizeof(*r));
		r->reason = irlen > AUTH_DATA_MAX ? AUTH_FAIL_PROTOCOL :
		    AUTH_FAIL_MECH;
		memcpy(r->text, "bad mechanism or response",
		    sizeof("bad mechanism or response"));
		return ac->broken ? AUTH_ST_ERROR : AUTH_ST_FAILURE;
	}
	ipc_put_strn(&b, up, mlen);
	if (ir != NULL)
		ipc_put_bytes(&b, ir, irlen);
	int rt = roundtrip(ac, IPC_AUTH_START, &b);
	buf_free_secret(&b);
	if (rt < 0)
		return AUTH_ST_ERROR;
	return decode_verdict(ac, r);
}

enum auth_status
auth_client_rcpt(struct auth_client *ac, const char *user,
    struct auth_reply *r)
{
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	ipc_put_str(&b, user);
	int rt = roundtrip(ac, IPC_AUTH_RCPT, &b);
	buf_free(&b);
	if (rt < 0)
		return AUTH_ST_ERROR;
	enum auth_status st = decode_verdict(ac, r);
	if (st == AUTH_ST_CHALLENGE) {
		auth_reply_wipe(r);
		return fault(ac, "a challenge in reply to auth_rcpt");
	}
	return st;
}

int
auth_client_session_mint(struct auth_client *ac, char *tok, size_t size,
    uint64_t *lifetime_s)
{
	struct buf_cur c;
	if (roundtrip(ac, IPC_AUTH_SESSION_MINT, NULL) < 0)
		return -1;
	if (ac->msg->type == IPC_ERROR)
		return -1;
	ipc_msg_cursor(ac->msg, &c);
	int rc = ac->msg->type == IPC_AUTH_SESSION_TOKEN &&
	    ipc_get_str(&c, tok, size) == 0 && ipc_get_u64(&c, lifetime_s) == 0 &&
	    ipc_get_end(&c) == 0 ? 0 : -1;
	explicit_bzero(ac->msg->raw, IPC_HDR_SIZE + ac->msg->len);
	if (rc < 0)
		fault(ac, "bad reply to auth_session_mint");
	return rc;
}

enum auth_status
auth_client_step(struct auth_client *ac, const void *resp, size_t len,
    struct auth_reply *r)
{
	if (len > AUTH_DATA_MAX) {
		memset(r, 0, sizeof(*r));
		r->reason = AUTH_FAIL_PROTOCOL;
		memcpy(r->text, "response too long", sizeof("response too long"));
		return ac->broken ? AUTH_ST_ERROR : AUTH_ST_FAILURE;
	}
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	ipc_put_bytes(&b, resp, len);
	int rt = roundtrip(ac, IPC_AUTH_STEP, &b);
	buf_free_secret(&b);
	if (rt < 0)
		return AUTH_ST_ERROR;
	return decode_verdict(ac, r);
}
