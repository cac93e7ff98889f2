/* ctl_admin: cloisterd's own admin socket, RUNTIME_DIR/cloisterd.sock
 * (common/ipc_types_ctl.h): status, who, kick, reload. One request per
 * connection; the answer is text (CTL_ADM_TEXT records, escaped by the
 * supervisor) ended by OK or ERROR. */
#include "ctl.h"
#include "buf.h"
#include "ipc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define REPLY_TIMEOUT_S 60      /* a reload may bind listeners, start services */

static int
connect_supervisor(const struct ctl_env *e)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (buf_snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/cloisterd.sock",
	    e->cfg.runtime_dir) < 0)
		return -ctl_fail(CTL_CONFIG, "runtime-dir too long for a socket"
		    " path");
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return -ctl_fail(CTL_UNAVAILABLE, "%s: %s (is cloisterd running?)",
		    sun.sun_path, strerror(err));
	}
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static int
error_exit(const struct ipc_msg *m, const char *what)
{
	struct buf_cur c;
	uint32_t code = 0;
	char text[1024] = "";
	ipc_msg_cursor(m, &c);
	if (ipc_get_u32(&c, &code) < 0 || ipc_get_str(&c, text, sizeof(text)) < 0)
		return ctl_fail(CTL_SOFTWARE, "%s: a malformed error from"
		    " cloisterd", what);
	int rc = code == IPC_ERR_NOTFOUND || code == IPC_ERR_DENIED ?
	    CTL_REFUSED : code == IPC_ERR_TEMPORARY ? CTL_TEMPFAIL :
	    CTL_SOFTWARE;
	return ctl_fail(rc, "%s: %s", what, text);
}

/* Send one request, print the text of its answer; an enum ctl_exit. */
static int
ask(const struct ctl_env *e, uint32_t type, const struct buf *req,
    const char *what)
{
	int fd = connect_supervisor(e);
	if (fd < 0)
		return -fd;
	static struct ipc_msg m;
	int rc = CTL_SOFTWARE;
	if (ipc_send(fd, type, 1, 0, req, -1) < 0) {
		rc = ctl_fail(CTL_UNAVAILABLE, "%s: sending: %s", what,
		    strerror(errno));
		goto out;
	}
	for (;;) {
		enum ipc_recv_result r = ipc_recv(fd, &m);
		if (r != IPC_RECV_OK) {
			rc = ctl_fail(r == IPC_RECV_EOF ? CTL_UNAVAILABLE :
			    CTL_SOFTWARE, "%s: %s", what, r == IPC_RECV_EOF ?
			    "cloisterd closed the connection before the end of"
			    " its answer" : "no valid answer from cloisterd");
			break;
		}
		if (m.type == IPC_CTL_ADM_TEXT && m.fd < 0) {
			fwrite(m.payload, 1, m.len, stdout);
			continue;
		}
		ipc_msg_close_fd(&m);
		if (m.type == IPC_OK)
			rc = CTL_OK;
		else if (m.type == IPC_ERROR)
			rc = error_exit(&m, what);
		else
			rc = ctl_fail(CTL_SOFTWARE, "%s: unexpected record %u",
			    what, m.type);
		break;
	}
out:
	fflush(stdout);
	close(fd);
	return rc;
}

static int
no_args(const struct ctl_env *e, int argc, uint32_t type, const char *what)
{
	if (argc != 0)
		return ctl_fail(CTL_USAGE, "usage: cloisterctl %s", what);
	struct buf b = BUF_INIT(16);
	int rc = ask(e, type, &b, what);
	buf_free(&b);
	return rc;
}

int
ctl_status(struct ctl_env *e, int argc, char **argv)
{
	(void)argv;
	return no_args(e, argc, IPC_CTL_ADM_STATUS, "status");
}

int
ctl_who(struct ctl_env *e, int argc, char **argv)
{
	(void)argv;
	return no_args(e, argc, IPC_CTL_ADM_WHO, "who");
}

int
ctl_reload(struct ctl_env *e, int argc, char **argv)
{
	(void)argv;
	return no_args(e, argc, IPC_CTL_ADM_RELOAD, "reload");
}

int
ctl_kick(struct ctl_env *e, int argc, char **argv)
{
	if (argc != 1)
		return ctl_fail(CTL_USAGE, "usage: cloisterctl kick USER");
	struct ctl_user u;
	int rc = ctl_user_parse(e, argv[0], &u);
	if (rc != CTL_OK)
		return rc;
	struct buf b = BUF_INIT(512);
	ipc_put_str(&b, u.name);
	rc = ask(e, IPC_CTL_ADM_KICK, &b, "kick");
	buf_free(&b);
	return rc;
}
