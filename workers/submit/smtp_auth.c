/* smtp_auth: the client nonce and keyd's SCRAM proof (see smtp_auth.h). */
#include "smtp_auth.h"
#include "buf.h"
#include "ipc.h"
#include "log.h"
#include "worker.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/random.h>

int
smtp_auth_nonce(char out[25])
{
	uint8_t r[18];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	return smtp_b64_encode(r, sizeof(r), out, 25) == 24 ? 0 : -1;
}

/* keyd's answer: KEY_SCRAM's two fields, or ERROR's text in why. */
static int
answer(const struct ipc_msg *m, uint8_t *proof,
    uint8_t *sig, char *why, size_t whylen)
{
	struct buf_cur cur;
	const uint8_t *p, *v;
	size_t pl, vl;
	uint32_t code;
	const char *text;
	ipc_msg_cursor(m, &cur);
	if (m->type == IPC_ERROR &&
	    ipc_get_u32(&cur, &code) == 0 &&
	    ipc_get_strp(&cur, &text, &pl, 200) == 0) {
		buf_snprintf(why, whylen, "keyd refused the SCRAM proof: %.*s",
		    (int)pl, text);
		return -1;
	}
	if (m->type != IPC_KEY_SCRAM ||
	    ipc_get_bytes(&cur, &p, &pl, KEY_SCRAM_LEN) < 0 ||
	    ipc_get_bytes(&cur, &v, &vl, KEY_SCRAM_LEN) < 0 ||
	    ipc_get_end(&cur) < 0 || pl != KEY_SCRAM_LEN || vl != KEY_SCRAM_LEN) {
		buf_snprintf(why, whylen, "keyd: an unexpected answer");
		return -1;
	}
	memcpy(proof, p, KEY_SCRAM_LEN);
	memcpy(sig, v, KEY_SCRAM_LEN);
	return 0;
}

int
smtp_auth_proof(int fd, int timeout_ms, const struct smtp_scram *s,
    uint8_t proof[KEY_SCRAM_LEN], uint8_t sig[KEY_SCRAM_LEN], char *why,
    size_t whylen)
{
	static uint32_t reqid;
	static struct ipc_msg m = { .fd = -1 };
	struct buf b = BUF_INIT(KEY_SCRAM_SALT_MAX + KEY_SCRAM_AUTHMSG_MAX + 32);
	if (fd < 0) {
		buf_snprintf(why, whylen, "no keyd channel");
		return -1;
	}
	ipc_put_bytes(&b, s->salt, s->salt_len);
	ipc_put_u32(&b, s->iter);
	ipc_put_bytes(&b, s->am, s->am_len);
	int rc = ipc_send(fd, IPC_KEY_SCRAM_PROOF, ++reqid, 0, &b, -1);
	buf_free(&b);
	/* a lost keyd channel comes back only with a new process (crash-only:
	 * cloisterd restarts submitd; the entry, not committed, waits) */
	if (rc < 0) {
		log_err("keyd: channel lost; exiting");
		worker_exit(1);
	}
	/* PBKDF2 at 100,000 iterations takes keyd tens of ms, once per salt */
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;
	while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (n <= 0 || ipc_recv(fd, &m) != IPC_RECV_OK) {
		log_err("keyd: no answer; exiting");
		worker_exit(1);
	}
	if (m.reqid != reqid || m.fd >= 0) {
		ipc_msg_close_fd(&m);
		log_err("keyd: reply out of step; exiting");
		worker_exit(1);
	}
	rc = answer(&m, proof, sig, why, whylen);
	ipc_msg_close_fd(&m);
	return rc;
}
