/* worker: the skeleton every process cloisterd starts goes through
 * (worker.h, docs/workers.md). */
#include "worker.h"
#include "ipc.h"
#include "log.h"
#include "policy.h"
#include "sandbox.h"
#include "stats.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WORKER_FDS_EVERY (WORKER_FD_LOG | WORKER_FD_STATS | WORKER_FD_CONTROL)

/* Which well-known fds cloisterd gives each role (supervisor/spawn.c); a
 * worker keeps exactly these. A connection worker never holds a listener
 * (cloisterd accepts) and authd, keyd and stored get their peers later, as
 * CTL_PEER records. */
static const unsigned role_fds[] = {
	[ROLE_CONNECTION] = WORKER_FDS_EVERY | WORKER_FD_AUTH | WORKER_FD_STORE |
	    WORKER_FD_KEYD,
	[ROLE_AUTH] = WORKER_FDS_EVERY,
	[ROLE_STORE] = WORKER_FDS_EVERY,
	[ROLE_STATS] = WORKER_FDS_EVERY | WORKER_FD_EXTRA | WORKER_FD_LISTEN,
	[ROLE_KEY] = WORKER_FDS_EVERY,
	[ROLE_SUBMIT] = WORKER_FDS_EVERY | WORKER_FD_STORE | WORKER_FD_KEYD,
	[ROLE_PUSH] = WORKER_FDS_EVERY | WORKER_FD_STORE | WORKER_FD_KEYD,
};

unsigned
worker_role_fds(enum config_role role)
{
	if ((size_t)role >= sizeof(role_fds) / sizeof(role_fds[0]))
		return 0;
	return role_fds[role];
}

size_t
worker_keep_fds(const struct worker *w, int *keep)
{
	unsigned has = worker_role_fds(w->role);
	size_t n = 0;
	if (has & WORKER_FD_LOG)
		keep[n++] = CLOISTER_FD_LOG;
	if (has & WORKER_FD_STATS)
		keep[n++] = CLOISTER_FD_STATS;
	if (has & WORKER_FD_CONTROL)
		keep[n++] = CLOISTER_FD_CONTROL;
	if ((has & WORKER_FD_AUTH) && w->auth)
		keep[n++] = CLOISTER_FD_AUTH;
	if ((has & WORKER_FD_KEYD) && w->keyd)
		keep[n++] = CLOISTER_FD_KEYD;
	if (has & WORKER_FD_EXTRA)
		keep[n++] = CLOISTER_FD_EXTRA;
	for (unsigned i = 0; (has & WORKER_FD_STORE) && i < w->store_shards &&
	    i < CLOISTER_MAX_SHARDS; i++)
		keep[n++] = CLOISTER_FD_STORE((int)i);
	for (size_t i = 0; (has & WORKER_FD_LISTEN) && i < w->nlisteners &&
	    i < CLOISTER_MAX_LISTENERS; i++)
		keep[n++] = CLOISTER_FD_LISTEN((int)i);
	return n;
}

/* The environment cloisterd execs every worker with (supervisor/spawn.c),
 * made the same for a worker started by hand, so that no library (libc's
 * TZ and locale, OpenSSL, SASL, sqlite) reads another in tests. */
static void
fixed_environment(void)
{
	static const char *const sanitizer_vars[] = { "ASAN_OPTIONS",
		"UBSAN_OPTIONS", "LSAN_OPTIONS" };
	enum { NSAN = sizeof(sanitizer_vars) / sizeof(sanitizer_vars[0]) };
	char *keep[NSAN] = { NULL };
	for (size_t i = 0; sandbox_sanitized_build() && i < NSAN; i++) {
		const char *v = getenv(sanitizer_vars[i]);
		if (v != NULL && (keep[i] = strdup(v)) == NULL)
			log_fatal("out of memory");
	}
	if (clearenv() != 0 ||
	    setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1) < 0 ||
	    setenv("LANG", "C", 1) < 0)
		log_fatal_errno("environment");
	for (size_t i = 0; i < NSAN; i++) {
		if (keep[i] != NULL && setenv(sanitizer_vars[i], keep[i], 1) < 0)
			log_fatal_errno("environment");
		free(keep[i]);
	}
}

/* --uid/--gid: a number, never 0, never (uid_t)-1 ("no change") */
static bool
parse_id(const char *w, unsigned *out)
{
	if (!isdigit((unsigned char)w[0]))
		return false;
	errno = 0;
	char *end;
	unsigned long v = strtoul(w, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > CONFIG_UID_MAX)
		return false;
	*out = (unsigned)v;
	return true;
}

static void
parse_args(int argc, char **argv, const char *ident, struct worker_args *wa)
{
	memset(wa, 0, sizeof(*wa));
	unsigned id;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			wa->config_path = argv[++i];
		else if (strcmp(argv[i], "--service") == 0 && i + 1 < argc)
			wa->service = argv[++i];
		else if (strcmp(argv[i], "--instance") == 0 && i + 1 < argc)
			wa->instance = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--shard") == 0 && i + 1 < argc)
			wa->shard = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--uid") == 0 && i + 1 < argc &&
		    parse_id(argv[i + 1], &id))
			wa->uid = (uid_t)id, i++;
		else if (strcmp(argv[i], "--gid") == 0 && i + 1 < argc &&
		    parse_id(argv[i + 1], &id))
			wa->gid = (gid_t)id, i++;
		else if (strcmp(argv[i], "--foreground") == 0)
			wa->foreground = true;
		else {
			log_open(ident, true);
			log_fatal("usage: %s --config FILE --service NAME --instance ID"
			    " [--shard N] [--uid N --gid N] [--foreground]", ident);
		}
	}
	if ((wa->uid == 0) != (wa->gid == 0)) {
		log_open(ident, true);
		log_fatal("%s: --uid and --gid go together", ident);
	}
}

/* Started by hand without a stats channel: /dev/null takes fd 4, or the first
 * file the worker opens (a database) would get there the records
 * stats_flush writes. */
static void
hold_stats_fd(void)
{
	if (fcntl(CLOISTER_FD_STATS, F_GETFD) >= 0)
		return;
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		log_fatal_errno("/dev/null");
	if (fd != CLOISTER_FD_STATS) {
		if (dup2(fd, CLOISTER_FD_STATS) < 0)
			log_fatal_errno("dup2 /dev/null");
		close(fd);
	}
}

void
worker_load(int argc, char **argv, const char *ident,
    struct worker_args *wa, struct config *cfg,
    const struct config_service **svc)
{
	parse_args(argc, argv, ident, wa);
	/* started by hand (tests): no log fd 3, log to stderr */
	if (fcntl(CLOISTER_FD_LOG, F_GETFD) < 0)
		log_open(ident, true);
	else   /* under cloisterd: its own channel (log.h) */
		log_open_fd(ident, CLOISTER_FD_LOG,
		    log_fd_is_channel(CLOISTER_FD_LOG) ? LOG_SINK_CHANNEL :
		    wa->foreground ? LOG_SINK_STDERR : LOG_SINK_SYSLOG);
	hold_stats_fd();
	if (wa->config_path == NULL || wa->service == NULL)
		log_fatal("%s: --config and --service are required", ident);
	char err[CONFIG_ERR_MAX];
	if (config_load(wa->config_path, cfg, err, sizeof(err)) < 0)
		log_fatal("config: %s", err);
	*svc = config_find_service(cfg, wa->service);
	if (*svc == NULL)
		log_fatal("config %s: no service '%s'", wa->config_path,
		    wa->service);
}

static void
copy_or_die(char *dst, size_t size, const char *src, const char *what)
{
	size_t len = strlen(src);
	if (len >= size)
		log_fatal("%s too long", what);
	memcpy(dst, src, len + 1);
}

void
worker_start(struct worker *w, int argc, char **argv, const char *ident,
    enum config_role role, struct config *cfg,
    const struct config_service **svc)
{
	memset(w, 0, sizeof(*w));
	/* first: the log (opened next) loads the time zone, once, from what
	 * the environment says */
	fixed_environment();
	worker_load(argc, argv, ident, &w->args, cfg, svc);
	const struct config_service *s = *svc;
	if (s->role != role)
		log_fatal("service %s has role %s; %s is role %s", s->name,
		    config_role_name(s->role), ident, config_role_name(role));
	w->role = role;
	copy_or_die(w->service, sizeof(w->service), s->name, "service name");
	copy_or_die(w->policy, sizeof(w->policy), s->policy, "policy path");
	w->nlisteners = s->nlisteners;
	w->store_shards = cfg->store_shards ? cfg->store_shards : 1;
	if (w->store_shards > CLOISTER_MAX_SHARDS)
		log_fatal("store-shards %u: at most %d", w->store_shards,
		    CLOISTER_MAX_SHARDS);
	if (role == ROLE_STORE && w->args.shard >= w->store_shards)
		log_fatal("--shard %u, but store-shards is %u", w->args.shard,
		    w->store_shards);
	/* the same rule as cloisterd's, which gives fd 6 on 'set auth yes'
	 * and fd 24 on 'set keyd yes' */
	char err[CONFIG_ERR_MAX];
	if (role == ROLE_CONNECTION && config_option_bool(cfg, s, "auth", false,
	    &w->auth, err, sizeof(err)) < 0)
		log_fatal("%s", err);
	if ((role == ROLE_CONNECTION || role == ROLE_PUSH) &&
	    config_option_bool(cfg, s, "keyd", false, &w->keyd, err,
	    sizeof(err)) < 0)
		log_fatal("%s", err);
	/* submitd: fd 24 with relay AUTH (keyd computes its SCRAM proofs) */
	if (role == ROLE_SUBMIT)
		w->keyd = config_option(cfg, s, "relay-auth-user") != NULL;
}

void
worker_confine(const struct worker *w, const int *own, size_t nown)
{
	int keep[WORKER_KEEP_MAX];
	size_t n = worker_keep_fds(w, keep);
	if (nown > WORKER_KEEP_MAX - n)
		log_fatal("%s: %zu fds of its own, room for %zu", w->service, nown,
		    WORKER_KEEP_MAX - n);
	for (size_t i = 0; i < nown; i++)
		keep[n++] = own[i];
	policy_confine(w->policy, &w->args, keep, n);
}

void
worker_ready(void)
{
	ipc_send_ready(CLOISTER_FD_CONTROL);
}

int
worker_conn_decode(const struct ipc_msg *m, size_t nlisteners,
    struct worker_conn *out)
{
	struct buf_cur c;
	const uint8_t *pa, *la;
	size_t pl, ll;
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (m->type != IPC_CTL_CONN || m->fd < 0)
		return -1;
	ipc_msg_cursor(m, &c);
	if (ipc_get_u32(&c, &out->listener) < 0 ||
	    ipc_get_bytes(&c, &pa, &pl, sizeof(out->peer)) < 0 ||
	    ipc_get_bytes(&c, &la, &ll, sizeof(out->local)) < 0 ||
	    ipc_get_end(&c) < 0 || out->listener >= nlisteners)
		return -1;
	memcpy(&out->peer, pa, pl);
	memcpy(&out->local, la, ll);
	out->peerlen = (socklen_t)pl;
	out->locallen = (socklen_t)ll;
	out->fd = m->fd;
	return 0;
}

void
worker_take_conn(const struct worker *w, struct worker_conn *out)
{
	/* ~100 KiB, needed once: from the heap, not kept for the session */
	struct ipc_msg *m = malloc(sizeof(*m));
	if (m == NULL)
		log_fatal("out of memory");
	enum ipc_recv_result r;
	do {
		r = ipc_recv(CLOISTER_FD_CONTROL, m);
	} while (r == IPC_RECV_AGAIN);
	if (r == IPC_RECV_EOF)
		worker_exit(0);   /* the supervisor retired this spare */
	if (r != IPC_RECV_OK) {
		char why[96];
		log_fatal("control channel: %s",
		    ipc_recv_strerror(r, m, why, sizeof(why)));
	}
	if (worker_conn_decode(m, w->nlisteners, out) < 0)
		log_fatal("malformed CTL_CONN (type %u, fd %d)", m->type, m->fd);
	free(m);
}

void
worker_exit(int status)
{
	stats_flush();
	_exit(status);
}
