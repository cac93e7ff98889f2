/*
 * cloister-snmpd: serves the supervisor's statistics over AgentX (as a
 * subagent of the system's snmpd) and HTTP GET /metrics, confined.
 *
 *   fd 7  (CLOISTER_FD_EXTRA)      aggregate records from cloisterd (read end)
 *   fd 16.. (CLOISTER_FD_LISTEN)   the /metrics listeners, one per `listen`
 *
 * Service options (config `set`):
 *   agentx          yes|no    be an AgentX subagent (default no)
 *   agentx-socket   ADDRESS   the master's socket (default /var/agentx/master;
 *                             net-snmp syntax, e.g. tcp:127.0.0.1:705)
 *   enterprise-oid  OID       the CLOISTER-MIB root (default 1.3.6.1.4.1.99999,
 *                             a placeholder private enterprise number)
 *   agentx-retry    SECONDS   with no master to talk to, serve /metrics alone
 *                             this long, then exit so that the supervisor
 *                             restarts us for a new attempt (default 30)
 *   metrics-read-timeout SECONDS  time a /metrics client has to send its
 *                             request head (default 10; then 408)
 *
 * main reads top to bottom like every worker's (common/worker.h): start ->
 * load (options, the AgentX session: the only socket() this process makes)
 * -> confine -> ready -> serve.
 */
#include "httpd.h"
#include "log.h"
#include "mibview.h"
#include "snap.h"
#include "worker.h"
#ifdef CLOISTER_HAVE_AGENTX
#include "agentx.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_AGENTX_SOCKET "/var/agentx/master"
#define DEFAULT_ENTERPRISE_OID "1.3.6.1.4.1.99999"
#define RECORDS_PER_WAKEUP 64
#define MAX_POLLFDS (1 + HTTPD_MAX_LISTENERS + HTTPD_MAX_CONNS + 16)

struct options {
	bool agentx;
	const char *agentx_socket;
	uint32_t base[MIB_BASE_MAX];
	size_t baselen;
	int listen_fd[HTTPD_MAX_LISTENERS];
	size_t nlisten;
	int read_ms;
	int64_t retry_ms;
	int64_t give_up_at;        /* no master: exit at this time; 0 never */
};

static struct config cfg;
static struct mibview view;
static struct snap cur;
static struct snap_reader reader;
static struct httpd httpd;

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
set_nonblock(int fd, const char *what)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		log_fatal_errno("%s (fd %d)", what, fd);
}

static void
read_options(const struct config_service *svc, struct options *o)
{
	char err[CONFIG_ERR_MAX];
	memset(o, 0, sizeof(*o));
	if (config_option_bool(&cfg, svc, "agentx", false, &o->agentx, err,
	    sizeof(err)) < 0)
		log_fatal("config: %s", err);
	o->agentx_socket = config_option(&cfg, svc, "agentx-socket");
	if (o->agentx_socket == NULL)
		o->agentx_socket = DEFAULT_AGENTX_SOCKET;
	const char *oid = config_option(&cfg, svc, "enterprise-oid");
	if (oid == NULL)
		oid = DEFAULT_ENTERPRISE_OID;
	if (mib_parse_oid(oid, o->base, MIB_BASE_MAX, &o->baselen) < 0)
		log_fatal("config: enterprise-oid '%s' is not a dotted OID of 2 to"
		    " %d arcs", oid, MIB_BASE_MAX);
	o->read_ms = (int)config_option_range(&cfg, svc, "metrics-read-timeout",
	    HTTPD_READ_MS / 1000, 1, 3600) * 1000;
	o->retry_ms = (int64_t)config_option_range(&cfg, svc, "agentx-retry", 30,
	    1, 3600) * 1000;
	if (svc->nlisteners > HTTPD_MAX_LISTENERS)
		log_fatal("config: at most %d listeners", HTTPD_MAX_LISTENERS);
	for (size_t i = 0; i < svc->nlisteners; i++) {
		int fd = CLOISTER_FD_LISTEN(i);
		struct stat st;
		if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
			log_fatal("listener %s: fd %d is not the socket the supervisor"
			    " should have bound", svc->listeners[i].name, fd);
		set_nonblock(fd, "listener");
		o->listen_fd[o->nlisten++] = fd;
	}
	struct stat st;
	if (fstat(CLOISTER_FD_EXTRA, &st) < 0 || !S_ISFIFO(st.st_mode))
		log_fatal("fd %d is not the supervisor's statistics pipe",
		    CLOISTER_FD_EXTRA);
	set_nonblock(CLOISTER_FD_EXTRA, "statistics pipe");
}

/* Read what the pipe holds (bounded per wakeup). false: the supervisor
 * closed it, and there is nothing left to serve. */
static bool
read_stats(void)
{
	for (int k = 0; k < RECORDS_PER_WAKEUP; k++) {
		struct stats_aggregate rec;
		ssize_t n = read(CLOISTER_FD_EXTRA, &rec, sizeof(rec));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n < 0)
			log_fatal_errno("statistics pipe");
		if (n == 0)
			return false;
		switch (snap_feed(&reader, &rec, (size_t)n, &cur)) {
		case SNAP_PUBLISHED:
			mibview_build(&view, &cur);
			break;
		case SNAP_DROPPED:
			log_warn("statistics: dropped a record: %s", reader.why);
			cur.dropped = reader.dropped;
			break;
		case SNAP_PENDING:
			break;
		}
	}
	return true;
}

static void __attribute__((noreturn))
serve(const struct options *o)
{
	for (;;) {
		struct pollfd pfd[MAX_POLLFDS];
		int timeout = -1;
		int64_t now = now_ms();
		if (o->give_up_at != 0)
			timeout = (int)(o->give_up_at > now ? o->give_up_at - now : 0);
		size_t n = 0;
		pfd[n].fd = CLOISTER_FD_EXTRA;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
		size_t h0 = n;
		size_t hn = httpd_pollfds(&httpd, pfd + n, MAX_POLLFDS - n, now,
		    &timeout);
		n += hn;
		size_t a0 = n, an = 0;
#ifdef CLOISTER_HAVE_AGENTX
		if (o->agentx)
			an = agentx_pollfds(pfd + n, MAX_POLLFDS - n, &timeout);
		n += an;
#endif
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			log_fatal_errno("poll");
		now = now_ms();
		if (pfd[0].revents != 0 && !read_stats()) {
			log_info("statistics pipe closed: cloisterd is gone");
			worker_exit(0);
		}
		httpd_handle(&httpd, pfd + h0, hn, now, &cur);
		if (o->give_up_at != 0 && now >= o->give_up_at)
			log_fatal("agentx: still no master; exiting so that the"
			    " supervisor restarts us for a new attempt");
#ifdef CLOISTER_HAVE_AGENTX
		if (o->agentx) {
			agentx_handle(pfd + a0, an);
			if (!agentx_alive())
				log_fatal("agentx: %s; exiting so that the supervisor"
				    " restarts and reconnects", agentx_why());
		}
#else
		(void)o;
		(void)a0;
		(void)an;
#endif
	}
}

/* The AgentX session: the one socket this process opens, before it
 * confines. Its fds go to own[]; the count. */
static size_t
start_agentx(struct options *o, int *own, size_t cap)
{
	size_t n = 0;
	if (!o->agentx)
		return 0;
#ifdef CLOISTER_HAVE_AGENTX
	if (agentx_start(o->agentx_socket, &view)) {
		n = agentx_fds(own, cap);
	} else {
		/* /metrics alone for a while: exits spaced out keep the
		 * supervisor from holding the service while snmpd is down */
		log_warn("agentx: serving /metrics alone, next attempt in"
		    " %lld s", (long long)(o->retry_ms / 1000));
		o->agentx = false;
		o->give_up_at = now_ms() + o->retry_ms;
	}
#else
	(void)own;
	(void)cap;
	log_warn("agentx: this build has no net-snmp (meson -Dsnmp);"
	    " serving /metrics only");
	o->agentx = false;
#endif
	return n;
}

int
main(int argc, char **argv)
{
	struct worker w;
	const struct config_service *svc;
	struct options o;
	int own[WORKER_OWN_FDS_MAX];

	/* 1. start, then load: options, the views, the AgentX session */
	worker_start(&w, argc, argv, "cloister-snmpd", ROLE_STATS, &cfg, &svc);
	read_options(svc, &o);
	/* a client or master that goes away must not kill us with SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	mibview_init(&view, o.base, o.baselen);
	mibview_build(&view, &cur);
	httpd_init(&httpd, o.listen_fd, o.nlisten, o.read_ms);
	size_t nown = start_agentx(&o, own, WORKER_OWN_FDS_MAX);

	/* 2. confine; the sandbox proves setuid(0) fails */
	worker_confine(&w, own, nown);
	log_info("confined; %zu metrics listener(s), AgentX %s", o.nlisten,
	    o.agentx ? "on" : "off");
	worker_ready();

	/* 3. serve */
	snap_reader_init(&reader);
	serve(&o);
}
