/* libFuzzer target: the IPC record decoder and the typed field reader.
 * Input byte 0 picks how many fds "arrived"; the rest is the record. A
 * record of another IPC_VERSION gets its log line made; every accepted
 * record is walked field by field to the end check; the raw bytes also go
 * through the supervisor's CTL_LOGGED_IN check. */
#include "ipc.h"

#include <string.h>

static struct ipc_msg m;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int nfds = data[0] % 3;
	data++;
	size--;
	if (size > sizeof(m.raw))
		return 0;
	memcpy(m.raw, data, size);
	(void)ipc_ready_version(m.raw, size);
	/* the supervisor's check of authd's login report: the user it hands
	 * back lies inside the record and within its bound */
	uint64_t inst;
	const uint8_t *user;
	size_t ulen;
	if (ipc_is_logged_in(m.raw, size, &inst, &user, &ulen) &&
	    (ulen > IPC_LOGGED_IN_USER_MAX || user + ulen > m.raw + size))
		__builtin_trap();
	int parsed = ipc_parse_record(&m, size, nfds);
	if (parsed == IPC_PARSE_VERSION) {
		char why[64];
		(void)ipc_recv_strerror(IPC_RECV_VERSION, &m, why, sizeof(why));
	}
	if (parsed < 0)
		return 0;
	struct buf_cur c;
	ipc_msg_cursor(&m, &c);
	for (;;) {
		int tag = ipc_peek_tag(&c);
		uint32_t u;
		uint64_t v;
		char s[64];
		const uint8_t *p;
		size_t n;
		if (tag == IPC_T_U32)
			ipc_get_u32(&c, &u);
		else if (tag == IPC_T_U64)
			ipc_get_u64(&c, &v);
		else if (tag == IPC_T_STR)
			ipc_get_str(&c, s, sizeof(s));
		else if (tag == IPC_T_BYTES)
			ipc_get_bytes(&c, &p, &n, IPC_MAX_PAYLOAD);
		else
			break;
		if (c.failed)
			break;
	}
	(void)ipc_get_end(&c);
	(void)ipc_type_name(m.type);
	return 0;
}
