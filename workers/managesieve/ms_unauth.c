/* ms_unauth: UNAUTHENTICATE (RFC 5804 2.14.1). The login bound this
 * process's store channel to one user and authd served its one login on
 * its channel, so logging out on the connection takes fresh channels from
 * cloisterd (CTL_RELOGIN_ASK -> CTL_RELOGIN, docs/supervisor.md), which
 * announces them to authd and stored as a new instance: the old ticket is
 * good on none of them. The old store channel is closed before the new
 * ones are used; the session forgets its user and starts over before
 * login (its limits, its deadline). TLS stays as it is. */
#include "ms_session.h"
#include "fds.h"
#include "ctl_ask.h"
#include "worker.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

/* How long cloisterd may take to answer: it answers at once or never. */
#define RELOGIN_WAIT_MS 10000
/* What the kernel may queue for an unauthenticated client (as at start). */
#define PRELOGIN_RCVBUF (16 * 1024)

/* Ask cloisterd for fresh channels: 0 with nfds fds in fds (authd's, then
 * one per store shard), or the errno it refused with. A channel fault or a
 * record out of step ends the process: the control channel is trusted. */
static int
relogin_ask(int *fds, size_t nfds)
{
	static struct ipc_msg m;
	uint32_t err;
	enum ctl_ask_result r = ctl_ask(CLOISTER_FD_CONTROL,
	    IPC_CTL_RELOGIN_ASK, NULL, IPC_CTL_RELOGIN, RELOGIN_WAIT_MS, &m, &err);
	if (r == CTL_ASK_EOF)
		worker_exit(0);          /* the supervisor is stopping us */
	if (r == CTL_ASK_OK && (m.fd >= 0 ||
	    (err == 0 ? m.nfds != nfds : m.nfds != 0))) {
		log_err("CTL_RELOGIN with %u fds, expected %zu", m.nfds,
		    err == 0 ? nfds : 0);
		ipc_msg_close_fd(&m);
		r = CTL_ASK_FAIL;
	}
	if (r != CTL_ASK_OK)
		worker_exit(1);
	if (err != 0)
		return (int)err;
	memcpy(fds, m.fds, nfds * sizeof(int));
	m.nfds = 0;
	return 0;
}

/* Everything of the login goes: the user, the store channel (closed
 * before the new ones are used), the reader's limits after login. */
static void
back_to_prelogin(struct ms_session *s, const int *fds)
{
	if (s->sc != NULL)
		store_client_close(s->sc);
	s->sc = NULL;
	struct worker_login_fds *f = &s->login;
	for (size_t i = 0; i < CLOISTER_MAX_SHARDS; i++) {
		if (f->store_fd[i] >= 0)
			close(f->store_fd[i]);
		f->store_fd[i] = i < f->store_shards ? fds[1 + i] : -1;
	}
	if (s->ac != NULL)
		auth_client_close(s->ac);
	if (f->auth_fd >= 0)
		close(f->auth_fd);
	f->auth_fd = fds[0];
	explicit_bzero(s->user, sizeof(s->user));
	s->state = MS_ST_NOT_AUTH;
	s->logged_in_once = false;
	s->ac = worker_login_authd(f);
	static const struct ms_limits pre = MS_PRELOGIN_LIMITS;
	ms_reader_set_limits(&s->rd, &pre, true);
	int v = PRELOGIN_RCVBUF;
	(void)setsockopt(s->conn.fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	client_conn_set_deadline(&s->conn, client_conn_now_ms() +
	    (int64_t)s->opt->prelogin_timeout_s * 1000);
}

bool
ms_unauth_offered(const struct ms_session *s)
{
	return s->relogins < s->opt->max_relogins;
}

int
ms_cmd_unauthenticate(struct ms_session *s, const struct ms_token *a, int n)
{
	(void)a;
	if (n != 0) {
		ms_reply(s, "NO", NULL, "UNAUTHENTICATE takes no arguments");
		return 0;
	}
	if (!ms_unauth_offered(s)) {
		ms_log(s, LOG_LVL_INFO, "unauthenticate", "refused (%s)",
		    s->opt->max_relogins ? "used up" : "not offered");
		ms_reply(s, "NO", NULL, "%s; LOGOUT and connect again to log in"
		    " as another user", s->opt->max_relogins ?
		    "No more logins on this connection" :
		    "UNAUTHENTICATE is not offered");
		return 0;
	}
	int fds[1 + CLOISTER_MAX_SHARDS];
	size_t nfds = 1 + s->login.store_shards;
	int err = nfds <= sizeof(fds) / sizeof(fds[0]) ? relogin_ask(fds, nfds) :
	    EAGAIN;
	if (err != 0) {
		ms_log(s, LOG_LVL_INFO, "unauthenticate", "refused by the"
		    " supervisor (%s)", strerror(err));
		if (err == EDQUOT)
			s->relogins = s->opt->max_relogins;
		ms_reply(s, "NO", err == EDQUOT ? NULL : "TRYLATER", "%s",
		    err == EDQUOT ? "No more logins on this connection" :
		    "Cannot log out now, try again later");
		return 0;
	}
	s->relogins++;
	ms_log(s, LOG_LVL_INFO, "unauthenticate", "relogin=%u/%u", s->relogins,
	    s->opt->max_relogins);
	back_to_prelogin(s, fds);
	ms_reply(s, "OK", NULL, "Logged out, authenticate again");
	return 0;
}
