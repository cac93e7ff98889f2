/*
 * cloister-lmtpd: LMTP delivery into the store. Reads top to bottom like
 * docs/design.md's table: load (config, charset converters, store channels) ->
 * confine (policy/lmtpd.policy; the drop is proved) -> take one client
 * connection from the supervisor (CTL_CONN) -> serve it -> exit.
 *
 * Options (service block, "set NAME VALUE"; docs/lmtpd.md):
 *   hostname               name in the greeting and Received:
 *   max-message-size       SIZE limit (default 50M)
 *   max-recipients         per transaction (default 1000)
 *   max-line               longest message line (default 64K)
 *   quota-full-tempfail    yes: 452 4.2.2 when over quota; no: 552 5.2.2
 *   recipient-delimiter    user+detail (default "+", "" for none)
 *   user-is-address        the store user is the whole address
 *   accept-bare-lf         take bare LF as CRLF instead of refusing it
 *   received-header        add a Received: field (default yes)
 *   idle-timeout           seconds (default 300)
 *   search-text-max        bytes of search text per message (default 1M)
 *   allow-clients          TCP peers that may connect (addresses/prefixes;
 *                          unset: none, TCP connections get 421 4.7.0)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "charset.h"
#include "config.h"
#include "fds.h"
#include "ipc.h"
#include "lmtp.h"
#include "lmtp_access.h"
#include "lmtp_store.h"
#include "log.h"
#include "policy.h"

static struct ipc_msg msg;

static uint64_t
opt_size(const struct config *c, const struct config_service *s,
    const char *key, uint64_t dflt)
{
	char err[CONFIG_ERR_MAX];
	uint64_t v;
	if (config_option_size(c, s, key, dflt, &v, err, sizeof(err)) < 0)
		log_fatal("%s", err);
	return v;
}

static bool
opt_bool(const struct config *c, const struct config_service *s,
    const char *key, bool dflt)
{
	char err[CONFIG_ERR_MAX];
	bool v;
	if (config_option_bool(c, s, key, dflt, &v, err, sizeof(err)) < 0)
		log_fatal("%s", err);
	return v;
}

static void
load_options(const struct config *c, const struct config_service *s,
    struct lmtp_opts *o, struct msgmeta_limits *lim)
{
	lmtp_opts_default(o);
	const char *h = config_option(c, s, "hostname");
	if (h != NULL) {
		if (buf_strlcpy(o->hostname, sizeof(o->hostname), h,
		    strlen(h)) < 0)
			log_fatal("hostname too long");
	} else if (gethostname(o->hostname, sizeof(o->hostname) - 1) < 0) {
		memcpy(o->hostname, "localhost", 10);
	}
	for (char *p = o->hostname; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			log_fatal("hostname: bad character");
	o->max_size = opt_size(c, s, "max-message-size", o->max_size);
	o->max_rcpts = (unsigned)opt_size(c, s, "max-recipients", o->max_rcpts);
	o->max_data_line = opt_size(c, s, "max-line", o->max_data_line);
	o->quota_temp = opt_bool(c, s, "quota-full-tempfail", false);
	o->full_address = opt_bool(c, s, "user-is-address", false);
	o->bare_lf_ok = opt_bool(c, s, "accept-bare-lf", false);
	o->received = opt_bool(c, s, "received-header", true);
	o->timeout_ms = (int)opt_size(c, s, "idle-timeout", 300) * 1000;
	const char *d = config_option(c, s, "recipient-delimiter");
	if (d != NULL) {
		if (strlen(d) > 1)
			log_fatal("recipient-delimiter: one character or none");
		o->delimiter = d[0];
	}
	if (o->max_size == 0 || o->max_size > (1ull << 30) ||
	    o->max_rcpts == 0 || o->max_data_line < 1000 ||
	    o->max_data_line > (16u << 20) || o->timeout_ms <= 0)
		log_fatal("lmtpd: an option is out of range");
	lim->text_max = opt_size(c, s, "search-text-max", MSGMETA_DEFAULT_TEXT);
	lim->field_max = MSGMETA_DEFAULT_FIELD;
	lim->headers_max = MSGMETA_DEFAULT_HEADERS;
	if (lim->text_max > (32u << 20))
		log_fatal("search-text-max: at most 32M (the store's limit)");
}

static void
load_allow(const struct config *c, const struct config_service *s,
    struct lmtp_allow *allow)
{
	char err[CONFIG_ERR_MAX];
	const char *v = config_option(c, s, "allow-clients");
	if (lmtp_allow_parse(allow, v != NULL ? v : "", err, sizeof(err)) < 0)
		log_fatal("%s", err);
}

/* A TCP client not in allow-clients: 421 before any of its bytes is read,
 * then close. Unix-socket clients are guarded by the socket's mode. */
static bool
refuse_client(const struct config_service *svc, uint32_t li,
    const struct lmtp_allow *allow, const uint8_t *sa, size_t salen,
    int fd, const char *client, const struct lmtp_opts *o)
{
	if (svc->listeners[li].family == AF_UNIX ||
	    lmtp_allow_match(allow, sa, salen))
		return false;
	log_warn("refused LMTP client %s on listener %s: not in allow-clients",
	    client[0] ? client : "(unknown)", svc->listeners[li].name);
	char line[320];
	int n = snprintf(line, sizeof(line), "421 4.7.0 %s LMTP is not offered"
	    " to this address\r\n", o->hostname);
	if (n > 0 && (size_t)n < sizeof(line))
		(void)send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	/* a close with unread input would reset the connection and could
	 * drop the 421: end our side, then discard (never parse) what the
	 * client still sends, for at most 2 s and 64 KiB */
	(void)shutdown(fd, SHUT_WR);
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return true;
	uint8_t sink[4096];
	size_t drained = 0;
	for (int i = 0; i < 20 && drained < 65536; i++) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 100) < 0)
			break;
		ssize_t k = read(fd, sink, sizeof(sink));
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
			break;
		if (k > 0)
			drained += (size_t)k;
	}
	return true;
}

static void
addr_text(const uint8_t *sa, size_t len, char *out, size_t n)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, len < sizeof(ss) ? len : sizeof(ss));
	out[0] = '\0';
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out,
		    (socklen_t)n);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    out, (socklen_t)n);
}

int
main(int argc, char **argv)
{
	/* load */
	static struct config cfg;
	const struct config_service *svc;
	struct worker_args wa;
	struct lmtp_opts o;
	struct msgmeta_limits lim;
	config_worker_start(argc, argv, "cloister-lmtpd", &wa, &cfg, &svc);
	if (svc->role != ROLE_CONNECTION)
		log_fatal("service %s is not role connection", svc->name);
	load_options(&cfg, svc, &o, &lim);
	static struct lmtp_allow allow;
	load_allow(&cfg, svc, &allow);
	unsigned nshards = cfg.store_shards;
	if (nshards == 0 || nshards > CLOISTER_MAX_SHARDS)
		log_fatal("store-shards out of range");
	/* iconv modules are files: load them while they can be read */
	charset_preload(NULL);
	charset_seal();
	/* glibc's gmtime_r (the log's timestamps) reads /etc/localtime on
	 * its first call: make that call now, not under seccomp */
	tzset();

	/* confine: the stats pipe, the control channel, the store shards */
	int keep[5 + CLOISTER_MAX_SHARDS] = { 0, 1, 2, CLOISTER_FD_STATS,
	    CLOISTER_FD_CONTROL };
	int sfd[CLOISTER_MAX_SHARDS];
	size_t nkeep = 5;
	for (unsigned i = 0; i < nshards; i++)
		keep[nkeep++] = sfd[i] = CLOISTER_FD_STORE(i);
	policy_confine(svc->policy, &wa, keep, nkeep);

	struct lmtp_store *ls = lmtp_store_open(sfd, nshards, &o, &lim);
	if (ls == NULL)
		log_fatal("out of memory");
	struct lmtp_backend be;
	lmtp_store_backend(ls, &be);
	ipc_send_ready(CLOISTER_FD_CONTROL);

	/* serve: one connection from the supervisor, then exit */
	enum ipc_recv_result r = ipc_recv(CLOISTER_FD_CONTROL, &msg);
	if (r == IPC_RECV_EOF)
		exit(0);
	if (r != IPC_RECV_OK || msg.type != IPC_CTL_CONN || msg.fd < 0)
		log_fatal("unexpected control record (result %d type %u)", r,
		    msg.type);
	struct buf_cur c;
	uint32_t li;
	const uint8_t *sa, *local;
	size_t salen, llen;
	ipc_msg_cursor(&msg, &c);
	if (ipc_get_u32(&c, &li) < 0 || ipc_get_bytes(&c, &sa, &salen, 128) < 0
	    || ipc_get_bytes(&c, &local, &llen, 128) < 0 ||
	    ipc_get_end(&c) < 0 || li >= svc->nlisteners)
		log_fatal("malformed CTL_CONN");
	char client[INET6_ADDRSTRLEN];
	addr_text(sa, salen, client, sizeof(client));
	if (refuse_client(svc, li, &allow, sa, salen, msg.fd, client, &o)) {
		close(msg.fd);
		lmtp_store_close(ls);
		return 0;
	}
	int rc = lmtp_serve(msg.fd, client, &o, &be);
	close(msg.fd);
	lmtp_store_close(ls);
	return rc < 0 ? 1 : 0;
}
