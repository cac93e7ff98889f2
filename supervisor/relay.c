/* relay: the one SMTP relay connection submitd may have, made here
 * (docs/submitd.md). submitd sends CTL_RELAY_ASK (a bare header,
 * compared, not decoded) on its control channel; cloisterd connects to
 * the configured relay address without blocking its loop and answers
 * CTL_RELAY with an errno and, when 0, the connected socket. Nothing read
 * from the relay: the socket is handed over before any byte of it is
 * looked at. One connect at a time, at most RELAY_RATE per second. */
#include "sv.h"
#include "buf.h"

#include <netinet/in.h>

#define RELAY_RATE 50                /* asks per second, and the burst */
#define RELAY_CONNECT_MS 10000       /* a connect still pending then: ETIMEDOUT */
/* Asks beyond the rate are answered EAGAIN and counted; this many seconds'
 * worth of them is no submitd waiting as it should (100 ms per EAGAIN)
 * but one flooding cloisterd: it is killed. */
#define RELAY_FLOOD_S 10

static struct {
	int fd;                      /* the connect in progress, or -1 */
	pid_t for_pid;               /* whose it is */
	int64_t deadline;
	int64_t tokens, at;          /* milli-asks, ms: the token bucket */
	struct sv_watch w;
} rl = { .fd = -1 };

static void
answer(pid_t pid, int err, int fd)
{
	struct sv_proc *p = sv_proc_find(pid);
	if (p != NULL && p->ctl >= 0) {
		static struct buf b = BUF_INIT(64);
		buf_reset(&b);
		ipc_put_u32(&b, (uint32_t)err);
		if (ipc_send(p->ctl, IPC_CTL_RELAY, 0, 0, &b, err == 0 ? fd : -1) < 0)
			log_warn("%s: CTL_RELAY: %m", p->svc->cfg.name);
	}
	if (fd >= 0)
		close(fd);
}

static void
finish(int err)
{
	int fd = rl.fd;
	epoll_ctl(sv.ep, EPOLL_CTL_DEL, fd, NULL);
	rl.fd = -1;
	if (err != 0) {
		log_warn("relay: connect: %s", strerror(err));
		close(fd);
		fd = -1;
	}
	answer(rl.for_pid, err, fd);
}

static void
connected(struct sv_service *s, unsigned arg)
{
	(void)s;
	(void)arg;
	int err = 0;
	socklen_t len = sizeof(err);
	if (rl.fd < 0)
		return;
	if (getsockopt(rl.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	finish(err);
}

/* Every ask spends a token; true if there was one. */
static bool
take_token(int64_t now)
{
	rl.tokens += (now - rl.at) * RELAY_RATE;
	rl.at = now;
	if (rl.tokens > RELAY_RATE * 1000)
		rl.tokens = RELAY_RATE * 1000;
	rl.tokens -= 1000;
	return rl.tokens >= 0;
}

/* Start the connect: 0 (pending, or answered with the socket now) or an
 * errno to answer. */
static int
start(struct sv_proc *p, int64_t now)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *v = config_option(sv.cfg, &p->svc->cfg, "relay");
	if (!take_token(now) || rl.fd >= 0)
		return EAGAIN;
	if (v == NULL || sv_relay_addr(v, &ss, &sslen) < 0)
		return EDESTADDRREQ;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&ss, sslen) == 0) {
		answer(p->pid, 0, fd);
		return 0;
	}
	if (errno != EINPROGRESS) {
		int err = errno;
		close(fd);
		return err;
	}
	rl.fd = fd;
	rl.for_pid = p->pid;
	rl.deadline = now + RELAY_CONNECT_MS;
	rl.w = (struct sv_watch){ connected, p->svc, 0 };
	sv_epoll(EPOLL_CTL_ADD, fd, &rl.w, EPOLLOUT);
	return 0;
}

void
sv_relay_ask(struct sv_proc *p)
{
	int err = start(p, sv_now());
	if (err == EAGAIN && rl.tokens < -RELAY_FLOOD_S * RELAY_RATE * 1000) {
		char who[SV_WHO_MAX];
		sv_proc_who(p, who);
		log_warn("%s: floods CTL_RELAY_ASK; killing it", who);
		rl.tokens = 0;
		kill(p->pid, SIGKILL);
		return;
	}
	if (err != 0)
		answer(p->pid, err, -1);
}

void
sv_relay_tick(int64_t now)
{
	if (rl.fd >= 0 && now >= rl.deadline)
		finish(ETIMEDOUT);
}
