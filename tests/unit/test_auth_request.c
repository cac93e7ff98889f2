/* Unit tests for workers/auth/authd_request: each message authd accepts
 * decodes; every malformed variant (short, wrong kind, out of range,
 * trailing bytes, a stray or missing fd) is AUTHD_MALFORMED; a type with
 * no decoder is AUTHD_UNKNOWN. */
#include "check.h"
#include "authd_request.h"

#include <netinet/in.h>
#include <string.h>

static struct ipc_msg m;

static enum authd_decode
decode(uint32_t type, const struct buf *b, int fd, struct authd_req *r)
{
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.reqid = 7;
	m.fd = fd;
	m.len = b ? b->len : 0;
	m.payload = m.raw + IPC_HDR_SIZE;
	if (b && b->len)
		memcpy(m.payload, b->data, b->len);
	return authd_request_decode(&m, r);
}

static void
test_worker_requests(void)
{
	struct authd_req r;
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);

	CHECK_EQ(decode(IPC_AUTH_MECHS, NULL, -1, &r), AUTHD_DECODED);
	ipc_put_u32(&b, 1);
	CHECK_EQ(decode(IPC_AUTH_MECHS, &b, -1, &r), AUTHD_MALFORMED);
	CHECK_EQ(decode(IPC_AUTH_MECHS, NULL, 0, &r), AUTHD_MALFORMED);

	/* START without, with empty, with an initial response */
	buf_reset(&b);
	ipc_put_str(&b, "PLAIN");
	CHECK_EQ(decode(IPC_AUTH_START, &b, -1, &r), AUTHD_DECODED);
	CHECK(strcmp(r.mech, "PLAIN") == 0 && !r.has_data);
	ipc_put_bytes(&b, "", 0);
	CHECK_EQ(decode(IPC_AUTH_START, &b, -1, &r), AUTHD_DECODED);
	CHECK(r.has_data && r.len == 0);
	buf_reset(&b);
	ipc_put_str(&b, "SCRAM-SHA-256");
	ipc_put_bytes(&b, "n,,n=a,r=b", 10);
	CHECK_EQ(decode(IPC_AUTH_START, &b, -1, &r), AUTHD_DECODED);
	CHECK(r.has_data && r.len == 10 && memcmp(r.data, "n,,n=a,r=b", 10) == 0);
	/* trailing field, wrong kind, lower case, too long, fd, oversized */
	ipc_put_u32(&b, 1);
	CHECK_EQ(decode(IPC_AUTH_START, &b, -1, &r), AUTHD_MALFORMED);
	const char *bad_mechs[] = { "plain", "", "SCRAM-SHA-256-PLUS-XXXX", "A B",
		"A/B" };
	for (size_t i = 0; i < sizeof(bad_mechs) / sizeof(bad_mechs[0]); i++) {
		buf_reset(&b);
		ipc_put_str(&b, bad_mechs[i]);
		CHECK_EQ(decode(IPC_AUTH_START, &b, -1, &r), AUTHD_MALFORMED);
	}
	buf_reset(&b);
	ipc_put_bytes(&b, "PLAIN", 5);
	CHECK_EQ(decode(IPC_AUTH_START, &b, -1, &r), AUTHD_MALFORMED);
	buf_reset(&b);
	ipc_put_str(&b, "PLAIN");
	CHECK_EQ(decode(IPC_AUTH_START, &b, 0, &r), AUTHD_MALFORMED);
	static uint8_t big[AUTH_DATA_MAX + 1];
	ipc_put_bytes(&b, big, sizeof(big));
	CHECK_EQ(decode(IPC_AUTH_START, &b, -1, &r), AUTHD_MALFORMED);

	/* STEP */
	buf_reset(&b);
	ipc_put_bytes(&b, big, AUTH_DATA_MAX);
	CHECK_EQ(decode(IPC_AUTH_STEP, &b, -1, &r), AUTHD_DECODED);
	CHECK_EQ(r.len, AUTH_DATA_MAX);
	buf_reset(&b);
	ipc_put_bytes(&b, big, sizeof(big));
	CHECK_EQ(decode(IPC_AUTH_STEP, &b, -1, &r), AUTHD_MALFORMED);
	CHECK_EQ(decode(IPC_AUTH_STEP, NULL, -1, &r), AUTHD_MALFORMED);
	buf_reset(&b);
	ipc_put_str(&b, "x");
	CHECK_EQ(decode(IPC_AUTH_STEP, &b, -1, &r), AUTHD_MALFORMED);
	/* a truncated field */
	buf_reset(&b);
	ipc_put_bytes(&b, "abcdef", 6);
	b.len -= 2;
	CHECK_EQ(decode(IPC_AUTH_STEP, &b, -1, &r), AUTHD_MALFORMED);

	/* PING: any payload, no fd */
	buf_reset(&b);
	ipc_put_str(&b, "hello");
	CHECK_EQ(decode(IPC_PING, &b, -1, &r), AUTHD_DECODED);
	CHECK(r.len == b.len && memcmp(r.data, b.data, b.len) == 0);
	CHECK_EQ(decode(IPC_PING, NULL, -1, &r), AUTHD_DECODED);
	CHECK_EQ(decode(IPC_PING, &b, 0, &r), AUTHD_MALFORMED);

	/* replies and store messages are not requests authd decodes */
	CHECK_EQ(decode(IPC_AUTH_SUCCESS, NULL, -1, &r), AUTHD_UNKNOWN);
	CHECK_EQ(decode(IPC_STORE_HELLO, NULL, -1, &r), AUTHD_UNKNOWN);
	CHECK_EQ(decode(9999, NULL, -1, &r), AUTHD_UNKNOWN);
	buf_free(&b);
}

/* The supervisor's records are common/ctlchan's: not authd_request's. */
/* AUTH_CLIENT_ADDR: one sockaddr of at most a sockaddr_storage, no fd;
 * the family is authd_serve's to check. */
static void
test_client_addr(void)
{
	struct authd_req r;
	struct buf b = BUF_INIT(IPC_MAX_PAYLOAD);
	struct sockaddr_storage ss = { .ss_family = AF_INET };
	ipc_put_bytes(&b, &ss, sizeof(struct sockaddr_in));
	CHECK_EQ(decode(IPC_AUTH_CLIENT_ADDR, &b, -1, &r), AUTHD_DECODED);
	CHECK_EQ(r.len, sizeof(struct sockaddr_in));
	CHECK_EQ(decode(IPC_AUTH_CLIENT_ADDR, &b, 0, &r), AUTHD_MALFORMED);
	ipc_put_u32(&b, 1);
	CHECK_EQ(decode(IPC_AUTH_CLIENT_ADDR, &b, -1, &r), AUTHD_MALFORMED);
	buf_reset(&b);
	uint8_t big[sizeof(ss) + 1] = { 0 };
	ipc_put_bytes(&b, big, sizeof(big));
	CHECK_EQ(decode(IPC_AUTH_CLIENT_ADDR, &b, -1, &r), AUTHD_MALFORMED);
	CHECK_EQ(decode(IPC_AUTH_CLIENT_ADDR, NULL, -1, &r), AUTHD_MALFORMED);
	buf_free(&b);
}

static void
test_control_is_not_decoded_here(void)
{
	struct authd_req r;
	CHECK_EQ(decode(IPC_CTL_KEY, NULL, -1, &r), AUTHD_UNKNOWN);
	CHECK_EQ(decode(IPC_CTL_PEER, NULL, 3, &r), AUTHD_UNKNOWN);
	CHECK_EQ(decode(IPC_CTL_CLIENT, NULL, -1, &r), AUTHD_UNKNOWN);
}

int
main(void)
{
	test_worker_requests();
	test_client_addr();
	test_control_is_not_decoded_here();
	return check_done("authd_request");
}
