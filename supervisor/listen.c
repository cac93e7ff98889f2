/* listen: bind the listeners of the config, as root, non-blocking. */
#include "sv.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/un.h>

union sv_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_un un;
};

static socklen_t
make_addr(const struct config_listener *l, union sv_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (l->family == AF_UNIX) {
		a->un.sun_family = AF_UNIX;
		memcpy(a->un.sun_path, l->path, sizeof(l->path));
		return sizeof(a->un);
	}
	if (l->family == AF_INET) {
		a->in.sin_family = AF_INET;
		a->in.sin_port = htons(l->port);
		inet_pton(AF_INET, l->host, &a->in.sin_addr);
		return sizeof(a->in);
	}
	a->in6.sin6_family = AF_INET6;
	a->in6.sin6_port = htons(l->port);
	inet_pton(AF_INET6, l->host, &a->in6.sin6_addr);
	return sizeof(a->in6);
}

/* A socket file left by a previous run is removed; one that still answers
 * belongs to a live server and is not. */
static int
clear_unix_path(const union sv_addr *a)
{
	const char *path = a->un.sun_path;
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET };
	for (size_t i = 0; i < 2; i++) {
		int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
		int r = fd < 0 ? -1 : connect(fd, &a->sa, sizeof(a->un));
		if (fd >= 0)
			close(fd);
		if (r == 0) {
			errno = EADDRINUSE;
			return -1;
		}
	}
	return unlink(path);
}

/* owner (default root) and its group, or group, and mode. */
static int
set_perms(const struct config_listener *l)
{
	struct passwd *pw = l->owner[0] != '\0' ? getpwnam(l->owner) : NULL;
	struct group *gr = l->group[0] != '\0' ? getgrnam(l->group) : NULL;
	if ((l->owner[0] != '\0' && pw == NULL) ||
	    (l->group[0] != '\0' && gr == NULL))
		return errno = ENOENT, -1;
	uid_t uid = pw != NULL ? pw->pw_uid : 0;
	gid_t gid = gr != NULL ? gr->gr_gid : pw != NULL ? pw->pw_gid : 0;
	if (chown(l->path, uid, gid) < 0 || chmod(l->path, l->mode) < 0)
		return -1;
	return 0;
}

int
sv_listen_open(const struct config_listener *l, int type, unsigned backlog,
    char *err, size_t errlen)
{
	union sv_addr a;
	socklen_t len = make_addr(l, &a);
	const char *what = "socket";
	int one = 1;
	int fd = socket(l->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	what = "bind";
	if (l->family == AF_UNIX) {
		if (clear_unix_path(&a) < 0 || bind(fd, &a.sa, len) < 0)
			goto fail;
		what = "owner/mode";
		if (set_perms(l) < 0)
			goto fail;
	} else {
		/* one family per socket: [::] does not also take IPv4 */
		if ((l->family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
		    IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		    bind(fd, &a.sa, len) < 0)
			goto fail;
	}
	what = "listen";
	if (listen(fd, (int)backlog) < 0)
		goto fail;
	return fd;
fail:;
	char addr[160];
	snprintf(addr, sizeof(addr), l->family == AF_UNIX ? "%s" :
	    l->family == AF_INET ? "%s:%u" : "[%s]:%u",
	    l->family == AF_UNIX ? l->path : l->host, l->port);
	snprintf(err, errlen, "%s:%u: listener %s (%s): %s: %s", sv.cfg_path,
	    l->line, l->name, addr, what, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

bool
sv_listen_same(const struct config_listener *a, const struct config_listener *b)
{
	return a->family == b->family && (a->family == AF_UNIX ?
	    strcmp(a->path, b->path) == 0 :
	    a->port == b->port && strcmp(a->host, b->host) == 0);
}

/* A listener kept across a reload takes the new settings in place: the
 * socket (and connections in its queue) stays. */
int
sv_listen_update(int fd, const struct config_listener *n, unsigned backlog)
{
	if ((n->family == AF_UNIX && set_perms(n) < 0) ||
	    listen(fd, (int)backlog) < 0)
		return -1;
	return 0;
}

void
sv_listen_close(struct sv_listener *l)
{
	if (l->fd < 0)
		return;
	sv_close(&l->fd);
	if (l->cfg.family == AF_UNIX)
		unlink(l->cfg.path);
}

/* A TLS client speaks first (ClientHello), so on an implicit-TLS listener
 * the kernel keeps a connection that has sent nothing in its SYN queue: it
 * is not accepted, starts no worker and counts against neither max-per-ip
 * nor max-prelogin. After the period (rounded up to the SYN-ACK
 * retransmission schedule, 1+2+4+... s) the kernel hands it over anyway and
 * the worker's prelogin-timeout closes it. STARTTLS and plaintext
 * listeners greet first and cannot wait. */
int
sv_listen_defer(int fd, const struct config_listener *l,
    unsigned prelogin_timeout)
{
	if (l->family == AF_UNIX)
		return 0;
	int secs = l->tls == TLS_IMPLICIT ?
	    (int)(prelogin_timeout > 0 ? prelogin_timeout : 60) : 0;
	return setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs,
	    sizeof(secs));
}
