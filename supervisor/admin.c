/* admin: RUNTIME_DIR/store-admin.N.sock, one per store shard. Root
 * (checked with SO_PEERCRED, not taken from anything the client says) gets
 * its connection passed to shard N as CTL_PEER("admin", id) with the admin
 * flag: the one thing that gives the store's admin right (no service may
 * be named "admin", and a name gives nothing). */
#include "sv.h"
#include "buf.h"
#include "ipc.h"

int
sv_admin_open(struct sv_service *s, unsigned shard, char *err, size_t errlen)
{
	struct sv_listener *l = &s->slot[shard].admin;
	l->cfg = (struct config_listener){ .family = AF_UNIX, .mode = 0600,
		.line = s->cfg.line };
	snprintf(l->cfg.name, sizeof(l->cfg.name), "admin%u", shard);
	if (buf_snprintf(l->cfg.path, sizeof(l->cfg.path),
	    "%s/store-admin.%u.sock", sv.cfg->runtime_dir, shard) < 0) {
		snprintf(err, errlen, "%s: runtime-dir too long", sv.cfg_path);
		return -1;
	}
	l->fd = sv_listen_open(&l->cfg, SOCK_SEQPACKET, 16, err, errlen);
	if (l->fd < 0)
		return -1;
	sv_epoll(EPOLL_CTL_ADD, l->fd, &l->w, EPOLLIN);
	return 0;
}

void
sv_admin_accept(struct sv_service *s, unsigned shard)
{
	struct sv_listener *l = &s->slot[shard].admin;
	for (int n = 0; n < 16 && l->fd >= 0; n++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct ucred cr = { .pid = 0, .uid = (uid_t)-1 };
		socklen_t len = sizeof(cr);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
		    cr.uid != 0) {
			log_warn("%s: admin socket %u: refused pid %d uid %u",
			    s->cfg.name, shard, (int)cr.pid, (unsigned)cr.uid);
			close(fd);
			continue;
		}
		log_info("%s: admin connection from pid %d to shard %u",
		    s->cfg.name, (int)cr.pid, shard);
		sv_wire_peer(s, shard, "admin", sv.next_instance++,
		    IPC_CTL_PEER_ADMIN, fd);
	}
}
