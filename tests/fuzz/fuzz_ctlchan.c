/* libFuzzer target: the control channel's rule (common/ctlchan.c) on
 * arbitrary records. Byte 0: bit 0 announces an fd, bit 1 says the key
 * already came, bit 2 lets CTL_CLIENT in, bit 3 takes the admin flag; the
 * rest is the record. Whatever comes, nothing may crash or overread, a
 * record is accepted only in its place in the order, and an accepted
 * CTL_PEER hands its fd over. */
#include "ctlchan.h"

#include <string.h>

static struct ipc_msg m;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	data++;
	size--;
	if (size > sizeof(m.raw))
		return 0;
	memcpy(m.raw, data, size);
	m.fd = -1;
	if (ipc_parse_record(&m, size, ctl & 1) < 0)
		return 0;
	m.fd = (ctl & 1) ? 1000 : -1;    /* never used as an fd */
	struct ctlchan cc;
	ctlchan_init(&cc, -1, (ctl & 8) ? IPC_CTL_PEER_FLAGS : 0, ctl & 4);
	cc.have_key = ctl & 2;
	struct ctl_rec r;
	char why[96];
	if (ctlchan_accept(&cc, &m, &r, why, sizeof(why)) == 0) {
		bool ok = (r.kind == CTL_REC_KEY && !(ctl & 2) && cc.have_key) ||
		    (r.kind == CTL_REC_PEER && (ctl & 2) && r.fd == 1000 &&
		    m.fd == -1 && r.service[0] != '\0') ||
		    (r.kind == CTL_REC_CLIENT && (ctl & 6) == 6 &&
		    r.addrlen <= sizeof(r.addr));
		if (!ok)
			__builtin_trap();
	} else if (why[0] == '\0') {
		__builtin_trap();
	}
	ctlchan_wipe(&r);
	return 0;
}
