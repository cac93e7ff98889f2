/* ctlsock: RUNTIME_DIR/cloisterd.sock, the supervisor's own admin socket
 * (cloisterctl status, who, kick, reload). Root only, checked with
 * SO_PEERCRED, never taken from what the client says. One request per
 * connection, read and answered without blocking: the text goes out as
 * CTL_ADM_TEXT records into a send buffer made big enough for all of it,
 * then OK or ERROR, then the connection is closed. */
#include "sv.h"
#include "buf.h"

#define CONNS_MAX 4               /* admin connections waiting at once */
#define TEXT_MAX (4u << 20)       /* the longest answer (who, ~40k sessions) */

static struct sv_listener lst = { .fd = -1 };
static struct {
	int fd;
	struct sv_watch w;
} conns[CONNS_MAX];
static struct ipc_msg msg;

static void
conn_end(unsigned i)
{
	if (conns[i].fd >= 0)
		epoll_ctl(sv.ep, EPOLL_CTL_DEL, conns[i].fd, NULL);
	sv_close(&conns[i].fd);
}

static void
send_error(int fd, uint32_t code, const char *why)
{
	struct buf b = BUF_INIT(512);
	ipc_put_u32(&b, code);
	ipc_put_str(&b, why);
	(void)ipc_send(fd, IPC_ERROR, msg.reqid, 0, &b, -1);
	buf_free(&b);
}

/* The text in chunks, then OK; a client too slow to take it all gets a
 * cut answer (no final OK), never a wait. */
static void
send_text(int fd, struct buf *t)
{
	int room = (int)(t->len * 2 + 65536);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &room, sizeof(room));
	for (size_t off = 0; off < t->len; off += IPC_ADM_TEXT_MAX) {
		size_t n = t->len - off < IPC_ADM_TEXT_MAX ? t->len - off :
		    IPC_ADM_TEXT_MAX;
		if (ipc_send_raw(fd, IPC_CTL_ADM_TEXT, msg.reqid, IPC_F_MORE,
		    t->data + off, n, -1) < 0)
			return;
	}
	(void)ipc_send_raw(fd, IPC_OK, msg.reqid, 0, NULL, 0, -1);
}

static void
h_kick(int fd, struct buf *t)
{
	struct buf_cur c;
	const char *user;
	size_t n;
	ipc_msg_cursor(&msg, &c);
	if (ipc_get_strp(&c, &user, &n, IPC_LOGGED_IN_USER_MAX) < 0 ||
	    ipc_get_end(&c) < 0 || n == 0) {
		send_error(fd, IPC_ERR_MALFORMED, "kick: a user name of 1-255"
		    " bytes");
		return;
	}
	unsigned k = sv_kick((const uint8_t *)user, n);
	log_info("admin: kick: %u session%s ended", k, k == 1 ? "" : "s");
	if (k == 0) {
		send_error(fd, IPC_ERR_NOTFOUND, "no session of that user");
		return;
	}
	buf_printf(t, "%u session%s ended\n", k, k == 1 ? "" : "s");
	send_text(fd, t);
}

static void
h_reload(int fd, struct buf *t)
{
	char err[CONFIG_ERR_MAX];
	log_info("admin: reload requested");
	if (sv.stopping) {
		send_error(fd, IPC_ERR_TEMPORARY, "cloisterd is stopping");
		return;
	}
	if (sv_reload(err, sizeof(err)) < 0) {
		char why[CONFIG_ERR_MAX + 64];
		snprintf(why, sizeof(why), "reload refused, still running"
		    " generation %u: %s", sv.generation, err);
		send_error(fd, IPC_ERR_DENIED, why);
		return;
	}
	sv_logfile_reopen();   /* as SIGHUP does: log-file may have moved */
	buf_printf(t, "reloaded %s: generation %u\n", sv.cfg->path,
	    sv.generation);
	send_text(fd, t);
}

static void
serve(int fd)
{
	static struct buf t = BUF_INIT(TEXT_MAX);
	buf_reset(&t);
	if (msg.fd >= 0 || (msg.type != IPC_CTL_ADM_KICK && msg.len != 0)) {
		send_error(fd, IPC_ERR_MALFORMED, "unexpected fields or fd");
		return;
	}
	switch (msg.type) {
	case IPC_CTL_ADM_STATUS:
		sv_report_status(&t);
		break;
	case IPC_CTL_ADM_WHO:
		sv_report_who(&t);
		break;
	case IPC_CTL_ADM_KICK:
		h_kick(fd, &t);
		return;
	case IPC_CTL_ADM_RELOAD:
		h_reload(fd, &t);
		return;
	default:
		send_error(fd, IPC_ERR_UNEXPECTED, "not an admin request");
		return;
	}
	if (t.failed)
		send_error(fd, IPC_ERR_LIMIT, "the answer is too long");
	else
		send_text(fd, &t);
}

static void
conn_event(struct sv_service *unused, unsigned i)
{
	(void)unused;
	enum ipc_recv_result r = ipc_recv_nowait(conns[i].fd, &msg);
	if (r == IPC_RECV_AGAIN)
		return;
	if (r == IPC_RECV_OK)
		serve(conns[i].fd);
	else if (r == IPC_RECV_BAD || r == IPC_RECV_VERSION)
		send_error(conns[i].fd, IPC_ERR_MALFORMED, "malformed record");
	ipc_msg_close_fd(&msg);
	conn_end(i);
}

static void
accept_event(struct sv_service *unused, unsigned arg)
{
	(void)unused;
	(void)arg;
	for (int n = 0; n < 16 && lst.fd >= 0; n++) {
		int fd = accept4(lst.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		struct ucred cr = { .pid = 0, .uid = (uid_t)-1 };
		socklen_t len = sizeof(cr);
		unsigned i = 0;
		while (i < CONNS_MAX && conns[i].fd >= 0)
			i++;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
		    cr.uid != 0 || i == CONNS_MAX) {
			log_warn("admin socket: refused pid %d uid %u%s", (int)cr.pid,
			    (unsigned)cr.uid, i == CONNS_MAX ? " (busy)" : "");
			close(fd);
			continue;
		}
		conns[i].fd = fd;
		conns[i].w = (struct sv_watch){ conn_event, NULL, i };
		sv_epoll(EPOLL_CTL_ADD, fd, &conns[i].w, EPOLLIN);
	}
}

int
sv_ctlsock_open(char *err, size_t errlen)
{
	for (unsigned i = 0; i < CONNS_MAX; i++)
		conns[i].fd = -1;
	msg.fd = -1;
	lst.cfg = (struct config_listener){ .family = AF_UNIX, .mode = 0600 };
	snprintf(lst.cfg.name, sizeof(lst.cfg.name), "cloisterd");
	if (buf_snprintf(lst.cfg.path, sizeof(lst.cfg.path), "%s/cloisterd.sock",
	    sv.cfg->runtime_dir) < 0) {
		snprintf(err, errlen, "%s: runtime-dir too long", sv.cfg_path);
		return -1;
	}
	lst.fd = sv_listen_open(&lst.cfg, SOCK_SEQPACKET, 16, err, errlen);
	if (lst.fd < 0)
		return -1;
	lst.w = (struct sv_watch){ accept_event, NULL, 0 };
	sv_epoll(EPOLL_CTL_ADD, lst.fd, &lst.w, EPOLLIN);
	return 0;
}

void
sv_ctlsock_close(void)
{
	for (unsigned i = 0; i < CONNS_MAX; i++)
		conn_end(i);
	if (lst.fd >= 0)
		sv_listen_close(&lst);
}
