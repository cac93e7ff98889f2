/* libFuzzer target: the bytes an AgentX master sends, through Cloister's
 * guard (framing, header checks) and net-snmp's agentx_parse() on every
 * whole PDU. The first input byte picks the chunk size, as the socket
 * would split the stream. */
#include "agentx_guard.h"

static struct agentx_guard g;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t chunk = (size_t)data[0] + 1;
	data++;
	size--;
	agentx_guard_init(&g);
	while (size > 0) {
		size_t n = size < chunk ? size : chunk;
		if (agentx_guard_feed(&g, data, n) < 0)
			break;
		data += n;
		size -= n;
	}
	return 0;
}
