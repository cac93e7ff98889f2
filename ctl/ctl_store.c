/* ctl_store: the store's admin channel (docs/store-protocol.md): the
 * supervisor listens on RUNTIME_DIR/store-admin.N.sock (root only) and
 * hands each connection to shard N as service "admin". */
#include "ctl.h"
#include "buf.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct store_conn *
ctl_store_connect(const struct ctl_env *e, unsigned shard)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (buf_snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%s/store-admin.%u.sock", e->cfg.runtime_dir, shard) < 0) {
		ctl_fail(CTL_CONFIG, "runtime-dir too long for a socket path");
		return NULL;
	}
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ctl_fail(CTL_UNAVAILABLE, "store shard %u: %s: %s (is cloisterd"
		    " running?)", shard, sun.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct store_conn *sc = store_client_open(fd);
	if (sc == NULL) {
		close(fd);
		ctl_fail(CTL_SOFTWARE, "out of memory");
	}
	return sc;
}

int
ctl_store_error(struct store_conn *sc, int rc, const char *what)
{
	const char *msg = sc ? store_client_errmsg(sc) : "";
	switch (rc) {
	case STORE_OK:
		return CTL_OK;
	case STORE_E_IO:
		return ctl_fail(CTL_UNAVAILABLE, "%s: the store closed the"
		    " connection", what);
	case STORE_E_PROTO:
	case STORE_E_MALFORMED:
	case STORE_E_UNEXPECTED:
		return ctl_fail(CTL_SOFTWARE, "%s: store protocol error%s%s", what,
		    msg[0] ? ": " : "", msg);
	case STORE_E_ARG:
		return ctl_fail(CTL_REFUSED, "%s: argument too long", what);
	case STORE_E_TEMPORARY:
		return ctl_fail(CTL_UNAVAILABLE, "%s: try again later%s%s", what,
		    msg[0] ? ": " : "", msg);
	default: {
		static const struct {
			int rc;
			const char *text;
		} t[] = {
			{ STORE_E_DENIED, "refused" },
			{ STORE_E_NOTFOUND, "not found" },
			{ STORE_E_EXISTS, "already exists" },
			{ STORE_E_QUOTA, "over quota" },
			{ STORE_E_CONFLICT, "conflict" },
			{ STORE_E_LIMIT, "over a limit" },
			{ STORE_E_NOSPACE, "the store's disk is full" },
			{ STORE_E_INTERNAL, "store internal error" },
		};
		const char *text = "failed";
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (t[i].rc == rc)
				text = t[i].text;
		return ctl_fail(rc == STORE_E_INTERNAL ? CTL_SOFTWARE : CTL_REFUSED,
		    "%s: %s%s%s", what, text, msg[0] ? ": " : "", msg);
	}
	}
}
