/* fuzz_auth_request: authd's request decoder on arbitrary records. The
 * input is a whole record (16-byte header + payload); its first byte picks
 * whether an fd is announced as attached. Valid or not, nothing may crash,
 * overread, or leave the key in the request. */
#include "authd_request.h"

#include <stdint.h>
#include <string.h>

static struct ipc_msg m;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int nfds = data[0] & 1;
	data++;
	size--;
	if (size > sizeof(m.raw))
		return 0;
	memcpy(m.raw, data, size);
	m.fd = -1;
	if (ipc_parse_record(&m, size, nfds) < 0)
		return 0;
	m.fd = nfds ? 1000 : -1;     /* never used as an fd by the decoder */
	struct authd_req r;
	enum authd_decode d = authd_request_decode(&m, &r);
	if (d == AUTHD_DECODED && r.has_data) {
		/* borrowed data must lie inside the payload */
		if (r.len > 0 && (r.data < m.payload || r.data + r.len >
		    m.payload + m.len))
			__builtin_trap();
	}
	authd_req_wipe(&r);
	return 0;
}
