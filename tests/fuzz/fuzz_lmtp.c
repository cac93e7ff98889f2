/* libFuzzer target: an LMTP session fed the input as the client's bytes,
 * against a fake backend (every recipient exists; "full" is over quota;
 * "gone" loses the store). Small limits so they are reached, and a read
 * size picked from the input's length, from 16 bytes to the daemon's
 * 16 KiB: most inputs cross many reads and buffer compactions, where a
 * scan position kept across them would go wrong (BDAT chunks larger than
 * a read once made the line scanner read before its buffer). */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fds.h"
#include "lmtp.h"

static enum lmtp_result
f_rcpt(void *ctx, const struct lmtp_rcpt *r, uint64_t size)
{
	(void)ctx;
	(void)size;
	if (strcmp(r->user, "full") == 0)
		return LMTP_R_QUOTA;
	if (strcmp(r->user, "gone") == 0)
		return LMTP_R_GONE;
	return LMTP_R_OK;
}

static enum lmtp_result
f_deliver(void *ctx, const struct lmtp_txn *t, size_t i)
{
	(void)ctx;
	uint8_t sum = 0;   /* touch every byte: ASan checks the bounds */
	for (size_t k = 0; k < t->len; k++)
		sum ^= t->msg[k];
	if (sum == 0xff && t->len == 1)
		return LMTP_R_TEMP;
	return t->rcpts[i].detail[0] ? LMTP_R_TEMP : LMTP_R_OK;
}

static const struct lmtp_backend be = { f_rcpt, f_deliver, NULL, NULL };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		int dn = open("/dev/null", O_WRONLY);
		dup2(dn, CLOISTER_FD_STATS);
		init = 1;
	}
	/* the client's bytes down a socket, then EOF; the replies stay
	 * unread in the other direction (a full buffer ends the session by
	 * the write timeout) */
	int sv[2];
	if (size > 131072 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	/* room for the whole input at once; never block on a short write */
	int room = 4 * 131072;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &room, sizeof(room));
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	if (write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	shutdown(sv[1], SHUT_WR);
	struct lmtp_opts o;
	lmtp_opts_default(&o);
	o.max_size = 4096;
	o.max_data_line = 1000;
	o.max_cmd_line = 512;
	o.max_rcpts = 8;
	o.timeout_ms = 1;
	o.bare_lf_ok = size & 1;
	o.read_chunk = (size_t)16 << ((size >> 1) % 11);
	(void)lmtp_serve(sv[0], "fuzz", &o, &be);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
