/*
 * cloister-standin: a worker for the supervisor's tests, standing in for
 * imapd/lmtpd, authd, stored and cloister-snmpd until they exist. cloisterd
 * starts it with the fds.h argv and fds; it confines itself under the
 * service's real policy like any worker, then plays the service's role:
 *
 *   connection  waits for one CTL_CONN, greets
 *               "* OK cloister-standin SERVICE INSTANCE", echoes lines;
 *               "PING AUTH" / "PING STORE N" send an IPC PING on that
 *               channel and print "* PONG <the peer's answer>"; "PEER" prints
 *               the client address from CTL_CONN; "QUIT" ends. Silent for
 *               prelogin-timeout seconds: "* BYE" and exit. Writes stats.
 *               What a compromised worker could write on its own fds:
 *               "WRITE FD HEX" writes the bytes as one write(2) to fd 2, 3
 *               (log) or 4 (stats): "* WROTE n"; "FLOOD N" writes N log
 *               datagrams as fast as it can: "* FLOODED sent=S full=F s=T";
 *               "LONG N" writes one info datagram of N bytes to fd 3.
 *   auth/store  takes CTL_KEY, CTL_PEER, CTL_CLIENT from the control fd and
 *               answers PING on every peer with "ROLE shard=N key=yes|no|zero
 *               peer=NAME/INSTANCE client=ADDR".
 *   stats       reads aggregates from CLOISTER_FD_EXTRA; each connection to
 *               its listener gets one text line per service, then EOF.
 *
 * "set standin-crash yes" in its service block: abort() at start;
 * "set standin-exit-when-ready yes": exit 3 right after CTL_READY;
 * "set standin-ignore-term yes": ignore SIGTERM (stop-deadline tests).
 * It exits 0 when the control channel closes (the supervisor is gone).
 */
#include "config.h"
#include "fds.h"
#include "ipc.h"
#include "log.h"
#include "policy.h"
#include "stats.h"
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_PEERS 2048
#define MAX_CLIENTS 256

static struct ipc_msg msg;
static struct worker_args wa;
static const struct config_service *svc;

static bool
is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void
addr_text(const void *sa, size_t len, char *out, size_t n)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, len < sizeof(ss) ? len : sizeof(ss));
	snprintf(out, n, "-");
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, n);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, n);
	else if (ss.ss_family == AF_UNIX)
		snprintf(out, n, "unix");
}

static void out(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
out(int fd, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (write(fd, line, (size_t)n) == n)
		stats_add(ST_BYTES_OUT, (uint64_t)n);
}

/* The fixed-range fds that were open at exec. */
static bool given[CLOISTER_FD_LISTEN(CLOISTER_MAX_LISTENERS)];

/* One PING on an IPC channel; the peer's PONG text into ans. */
static int
ping(int fd, char *ans, size_t n)
{
	/* only a channel the supervisor gave: a client socket accepted later
	 * may have taken a free number in the fixed range */
	if (fd < 0 || fd >= (int)(sizeof(given) / sizeof(given[0])) ||
	    !given[fd] || ipc_send_raw(fd, IPC_PING, 7, 0, NULL, 0, -1) < 0)
		return -1;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 2000) != 1 || ipc_recv(fd, &msg) != IPC_RECV_OK ||
	    msg.type != IPC_PONG || msg.reqid != 7)
		return -1;
	struct buf_cur c;
	ipc_msg_cursor(&msg, &c);
	if (ipc_get_str(&c, ans, n) < 0 || ipc_get_end(&c) < 0)
		return -1;
	return 0;
}

static int
unhex(const char *hex, uint8_t *outb, size_t max)
{
	size_t n = 0;
	unsigned v;
	for (; hex[0] && hex[1] && n < max; hex += 2) {
		if (sscanf(hex, "%2x", &v) != 1)
			return -1;
		outb[n++] = (uint8_t)v;
	}
	return *hex ? -1 : (int)n;
}

/* Write as a compromised worker would: straight to the fd, no log.c. */
static void
raw_writes(int fd, const char *line)
{
	static uint8_t b[4096];
	int wfd, n;
	unsigned count;
	if (sscanf(line, "WRITE %d ", &wfd) == 1 && wfd >= 2 && wfd <= 4 &&
	    strlen(line) > 8 && (n = unhex(line + 8, b, sizeof(b))) >= 0) {
		out(fd, "* WROTE %zd\r\n", write(wfd, b, (size_t)n));
	} else if (sscanf(line, "LONG %u", &count) == 1 && count < sizeof(b)) {
		memset(b, 'y', count);
		b[0] = LOG_LVL_INFO + 1;
		out(fd, "* WROTE %zd\r\n", write(CLOISTER_FD_LOG, b, count));
	} else if (sscanf(line, "FLOOD %u", &count) == 1) {
		unsigned sent = 0, full = 0;
		time_t t0 = time(NULL);
		for (unsigned i = 0; i < count; i++) {
			n = snprintf((char *)b, sizeof(b), "%cflood line %u of %s",
			    LOG_LVL_INFO + 1, i, svc->name);
			if (write(CLOISTER_FD_LOG, b, (size_t)n) == n)
				sent++;
			else if (errno == EAGAIN)
				full++;
		}
		out(fd, "* FLOODED sent=%u full=%u s=%lld\r\n", sent, full,
		    (long long)(time(NULL) - t0));
	} else {
		out(fd, "* BAD\r\n");
	}
}

static void
command(int fd, char *line, const char *peer)
{
	char ans[256];
	unsigned shard;
	stats_add(ST_COMMANDS, 1);
	if (strcmp(line, "QUIT") == 0) {
		out(fd, "* BYE\r\n");
		stats_flush();
		exit(0);
	} else if (strcmp(line, "PEER") == 0) {
		out(fd, "* PEER %s\r\n", peer);
	} else if (strcmp(line, "PING AUTH") == 0) {
		if (ping(CLOISTER_FD_AUTH, ans, sizeof(ans)) == 0)
			out(fd, "* PONG %s\r\n", ans);
		else
			out(fd, "* NO auth\r\n");
	} else if (sscanf(line, "PING STORE %u", &shard) == 1 &&
	    shard < CLOISTER_MAX_SHARDS) {
		if (ping(CLOISTER_FD_STORE(shard), ans, sizeof(ans)) == 0)
			out(fd, "* PONG %s\r\n", ans);
		else
			out(fd, "* NO store %u\r\n", shard);
	} else if (strncmp(line, "WRITE ", 6) == 0 ||
	    strncmp(line, "FLOOD ", 6) == 0 || strncmp(line, "LONG ", 5) == 0) {
		raw_writes(fd, line);
	} else {
		out(fd, "%s\r\n", line);
	}
}

static void
serve_connection(void)
{
	enum ipc_recv_result r = ipc_recv(CLOISTER_FD_CONTROL, &msg);
	if (r == IPC_RECV_EOF)
		exit(0);
	if (r != IPC_RECV_OK || msg.type != IPC_CTL_CONN || msg.fd < 0)
		log_fatal("unexpected control record (result %d type %u)", r,
		    msg.type);
	struct worker_conn conn;
	if (worker_conn_decode(&msg, svc->nlisteners, &conn) < 0)
		log_fatal("malformed CTL_CONN");
	int fd = conn.fd;
	char peer[INET6_ADDRSTRLEN];
	addr_text((const uint8_t *)&conn.peer, conn.peerlen, peer, sizeof(peer));
	stats_add(ST_CONNECTIONS, 1);
	out(fd, "* OK cloister-standin %s %llu\r\n", svc->name,
	    (unsigned long long)wa.instance);
	stats_flush();
	char line[1024];
	size_t have = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)svc->prelogin_timeout * 1000) == 0) {
			out(fd, "* BYE timeout\r\n");
			break;
		}
		ssize_t n = read(fd, line + have, sizeof(line) - 1 - have);
		if (n <= 0)
			break;
		stats_add(ST_BYTES_IN, (uint64_t)n);
		have += (size_t)n;
		char *nl;
		while ((nl = memchr(line, '\n', have)) != NULL) {
			size_t len = (size_t)(nl - line) + 1;
			*nl = '\0';
			if (nl > line && nl[-1] == '\r')
				nl[-1] = '\0';
			command(fd, line, peer);
			memmove(line, line + len, have - len);
			have -= len;
		}
		if (have == sizeof(line) - 1) {
			out(fd, "* BAD line too long\r\n");
			stats_add(ST_ERRORS, 1);
			break;
		}
		stats_flush();
	}
	stats_flush();
	exit(0);
}

/* ---- auth / store ---- */

static struct {
	char name[CONFIG_NAME_MAX];
	uint64_t instance;
} peer_id[MAX_PEERS];
static struct pollfd pfd[MAX_PEERS + 1];
static size_t npfd;
static struct {
	uint64_t instance;
	char addr[INET6_ADDRSTRLEN];
} clients[MAX_CLIENTS];
static unsigned nclients;
static const char *key_state = "no";
static int peers_ep = -1;

/* One control record; false when none is waiting. */
static bool
control_record(void)
{
	enum ipc_recv_result r = ipc_recv(CLOISTER_FD_CONTROL, &msg);
	if (r == IPC_RECV_EOF || r == IPC_RECV_ERR)
		exit(0);
	if (r != IPC_RECV_OK)
		return r != IPC_RECV_AGAIN;
	struct buf_cur c;
	ipc_msg_cursor(&msg, &c);
	uint32_t ver;
	uint64_t inst;
	const uint8_t *p;
	size_t n;
	char name[CONFIG_NAME_MAX];
	if (msg.type == IPC_CTL_KEY && ipc_get_u32(&c, &ver) == 0 &&
	    ipc_get_bytes(&c, &p, &n, 32) == 0 && ipc_get_end(&c) == 0 &&
	    ver == IPC_VERSION && n == 32) {
		uint8_t any = 0;   /* a zero key would make tickets forgeable */
		for (size_t i = 0; i < n; i++)
			any |= p[i];
		key_state = any ? "yes" : "zero";
		explicit_bzero(msg.raw, sizeof(msg.raw));
	} else if (msg.type == IPC_CTL_PEER && msg.fd >= 0 &&
	    ipc_get_str(&c, name, sizeof(name)) == 0 &&
	    ipc_get_u64(&c, &inst) == 0 && ipc_get_u32(&c, &ver) == 0 &&
	    ipc_get_end(&c) == 0 && npfd < MAX_PEERS + 1) {
		memcpy(peer_id[npfd].name, name, sizeof(name));
		peer_id[npfd].instance = inst;
		pfd[npfd++] = (struct pollfd){ .fd = msg.fd, .events = POLLIN };
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = msg.fd };
		epoll_ctl(peers_ep, EPOLL_CTL_ADD, msg.fd, &ev);
		msg.fd = -1;
	} else if (msg.type == IPC_CTL_CLIENT && ipc_get_u64(&c, &inst) == 0 &&
	    ipc_get_bytes(&c, &p, &n, 128) == 0 && ipc_get_end(&c) == 0) {
		unsigned k = nclients++ % MAX_CLIENTS;
		clients[k].instance = inst;
		addr_text(p, n, clients[k].addr, sizeof(clients[k].addr));
	} else {
		log_fatal("unexpected control record type %u", msg.type);
	}
	ipc_msg_close_fd(&msg);
	return true;
}

static void
peer_record(size_t i)
{
	enum ipc_recv_result r = ipc_recv(pfd[i].fd, &msg);
	if (r == IPC_RECV_AGAIN)
		return;
	if (r != IPC_RECV_OK || msg.type != IPC_PING) {
		ipc_msg_close_fd(&msg);
		close(pfd[i].fd);
		pfd[i] = pfd[--npfd];
		peer_id[i] = peer_id[npfd];
		return;
	}
	const char *client = "-";
	for (unsigned k = 0; k < MAX_CLIENTS && k < nclients; k++)
		if (clients[k].instance == peer_id[i].instance)
			client = clients[k].addr;
	char ans[256];
	snprintf(ans, sizeof(ans), "%s shard=%u key=%s peer=%s/%llu client=%s",
	    config_role_name(svc->role), wa.shard, key_state,
	    peer_id[i].name, (unsigned long long)peer_id[i].instance, client);
	struct buf b = BUF_INIT(512);
	ipc_put_str(&b, ans);
	ipc_send(pfd[i].fd, IPC_PONG, msg.reqid, 0, &b, -1);
	buf_free(&b);
	stats_add(svc->role == ROLE_STORE ? ST_STORE_OPS : ST_COMMANDS, 1);
	stats_flush();
}

/* The control channel is drained before any peer is read: the supervisor
 * sends CTL_PEER and CTL_CLIENT before the worker they describe can speak,
 * so whatever a peer says, what the supervisor said about it is here.
 * epoll, not poll: authd.policy allows only what the real authd uses. */
static void
serve_peers(void)
{
	fcntl(CLOISTER_FD_CONTROL, F_SETFL, O_NONBLOCK);
	pfd[0] = (struct pollfd){ .fd = CLOISTER_FD_CONTROL, .events = POLLIN };
	npfd = 1;
	peers_ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN,
		.data.fd = CLOISTER_FD_CONTROL };
	if (peers_ep < 0 ||
	    epoll_ctl(peers_ep, EPOLL_CTL_ADD, CLOISTER_FD_CONTROL, &ev) < 0)
		log_fatal("epoll: %s", strerror(errno));
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(peers_ep, evs, 64, -1);
		while (control_record())
			;
		for (int k = 0; k < n; k++)
			for (size_t i = npfd; i-- > 1;)
				if (pfd[i].fd == evs[k].data.fd) {
					peer_record(i);
					break;
				}
	}
}

/* ---- stats ---- */

static struct stats_aggregate latest[CONFIG_MAX_SERVICES + 1];

static void
report(int fd)
{
	for (size_t i = 0; i <= CONFIG_MAX_SERVICES; i++) {
		const struct stats_aggregate *a = &latest[i];
		if (a->magic != STATS_MAGIC)
			continue;
		char name[STATS_NAME_MAX + 1] = { 0 };
		memcpy(name, a->name, STATS_NAME_MAX);
		out(fd, "%s processes=%u max=%u spawns=%llu exits_ok=%llu"
		    " exits_error=%llu crashes=%llu restarts=%llu refusals=%llu"
		    " connections=%llu commands=%llu bytes_in=%llu store_ops=%llu"
		    " generation=%u uptime=%llu start_failures=%llu backoffs=%llu"
		    " held=%u\n", name, a->processes,
		    a->max_processes, (unsigned long long)a->spawns,
		    (unsigned long long)a->exits_ok,
		    (unsigned long long)a->exits_error,
		    (unsigned long long)a->crashes, (unsigned long long)a->restarts,
		    (unsigned long long)a->refusals,
		    (unsigned long long)a->counter[ST_CONNECTIONS],
		    (unsigned long long)a->counter[ST_COMMANDS],
		    (unsigned long long)a->counter[ST_BYTES_IN],
		    (unsigned long long)a->counter[ST_STORE_OPS], a->generation,
		    (unsigned long long)a->uptime_s,
		    (unsigned long long)a->start_failures,
		    (unsigned long long)a->backoffs, a->held);
	}
}

static void
serve_stats(void)
{
	size_t n = 0;
	pfd[n++] = (struct pollfd){ .fd = CLOISTER_FD_CONTROL, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = CLOISTER_FD_EXTRA, .events = POLLIN };
	for (size_t i = 0; i < svc->nlisteners; i++)
		pfd[n++] = (struct pollfd){ .fd = CLOISTER_FD_LISTEN(i),
			.events = POLLIN };
	for (;;) {
		if (poll(pfd, n, -1) < 0)
			continue;
		if (pfd[0].revents && !control_record())
			exit(0);
		if (pfd[1].revents) {
			struct stats_aggregate a;
			if (read(CLOISTER_FD_EXTRA, &a, sizeof(a)) == sizeof(a) &&
			    a.magic == STATS_MAGIC && a.size == sizeof(a))
				latest[a.service_index == STATS_GLOBAL ?
				    CONFIG_MAX_SERVICES : a.service_index %
				    CONFIG_MAX_SERVICES] = a;
		}
		for (size_t i = 2; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			int c = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0) {
				report(c);
				close(c);
			}
		}
	}
}

int
main(int argc, char **argv)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return 1;
	worker_load(argc, argv, "cloister-standin", &wa, cfg, &svc);
	bool crash = false;
	char err[CONFIG_ERR_MAX];
	if (config_option_bool(cfg, svc, "standin-crash", false, &crash, err,
	    sizeof(err)) < 0)
		log_fatal("%s", err);
	if (crash) {
		struct rlimit none = { 0, 0 };
		setrlimit(RLIMIT_CORE, &none);
		abort();
	}
	bool quitter = false;
	if (config_option_bool(cfg, svc, "standin-exit-when-ready", false,
	    &quitter, err, sizeof(err)) < 0)
		log_fatal("%s", err);
	bool stubborn = false;
	if (config_option_bool(cfg, svc, "standin-ignore-term", false, &stubborn,
	    err, sizeof(err)) < 0)
		log_fatal("%s", err);
	if (stubborn)
		signal(SIGTERM, SIG_IGN);
	/* not the role's fds (worker_confine) but whatever cloisterd gave:
	 * the supervisor's tests ask the stand-in what they were */
	int keep[CLOISTER_FD_LISTEN(CLOISTER_MAX_LISTENERS)], nkeep = 0;
	for (int fd = CLOISTER_FD_STATS; fd < CLOISTER_FD_LISTEN(
	    CLOISTER_MAX_LISTENERS); fd++)
		if (is_open(fd)) {
			keep[nkeep++] = fd;
			given[fd] = true;
		}
	policy_confine(svc->policy, &wa, keep, (size_t)nkeep);
	worker_ready();
	if (quitter)
		_exit(3);
	if (svc->role == ROLE_CONNECTION)
		serve_connection();
	else if (svc->role == ROLE_STATS)
		serve_stats();
	else
		serve_peers();
	return 0;
}
