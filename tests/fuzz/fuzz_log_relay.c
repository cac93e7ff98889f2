/* libFuzzer target: what cloisterd does with a datagram from a worker's
 * log channel (log_relay) and with a record on its control channel
 * (ipc_is_ready). Byte 0 picks the sink and the cut flag; the rest is the
 * datagram. Whatever the bytes, the output is one line that starts with
 * cloisterd's timestamp and the writer's name and holds no control byte. */
#include "ipc.h"
#include "log.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WHO "imapd/7[99]: "

static int p[2] = { -1, -1 };
static char out[LOG_RELAY_MAX + 512];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > LOG_RELAY_MAX + 1)
		return 0;
	if (p[0] < 0 && pipe2(p, O_NONBLOCK) < 0)
		abort();
	bool syslog_sink = data[0] & 1, cut = data[0] & 2;
	(void)ipc_is_ready(data + 1, size - 1);
	log_open_fd("cloisterd", p[1], syslog_sink ? LOG_SINK_SYSLOG :
	    LOG_SINK_STDERR);
	log_relay("imapd/7[99]", (const char *)data + 1, size - 1, cut);
	ssize_t n = read(p[0], out, sizeof(out));
	if (n <= 0 || read(p[0], out, 1) > 0)
		abort();   /* one write, one line */
	size_t len = (size_t)n;
	if (!syslog_sink) {
		if (out[len - 1] != '\n')
			abort();
		len--;
		if (len < 21 + sizeof(WHO) - 1 || memcmp(out + 21, WHO,
		    sizeof(WHO) - 1) != 0)
			abort();   /* "YYYY-MM-DDTHH:MM:SSZ " then the name */
	} else if (len < 20 + sizeof(WHO) - 1 || out[0] != '<' ||
	    memcmp(out + 20, WHO, sizeof(WHO) - 1) != 0) {
		abort();   /* "<PRI>Mmm dd hh:mm:ss " (4 + 16) then the name */
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f || (c == 0xc2 &&
		    i + 1 < len && (unsigned char)out[i + 1] >= 0x80 &&
		    (unsigned char)out[i + 1] <= 0x9f))
			abort();
	}
	return 0;
}
