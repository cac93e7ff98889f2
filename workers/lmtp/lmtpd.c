/*
 * cloister-lmtpd: LMTP delivery into the store. main reads top to bottom
 * like every worker's (common/worker.h): start -> load (options, charset
 * converters) -> confine (policy/lmtpd.policy; the drop is proved) -> open
 * the store channels -> ready -> take one client connection from the
 * supervisor (CTL_CONN) -> serve it -> exit.
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
 *   auth                   yes: a channel to authd, which vouches for
 *                          recipients with no store yet (first delivery)
 *   duplicate-window       seconds a Message-ID is remembered per recipient
 *                          (default 86400; 0: no duplicate suppression)
 *   sieve                  run users' active Sieve scripts (default yes)
 *   sieve-before           global script run before the user's (a path)
 *   sieve-after            global script run after the user's (a path)
 *   sieve-global-dir       scripts for include :global (NAME.sieve files)
 *   sieve-before-domain-dir  DOMAIN.sieve files run after sieve-before
 *                          for recipients in DOMAIN
 *   sieve-after-domain-dir   DOMAIN.sieve files run before sieve-after
 *   sieve-max-steps        run budget: steps (default 100000)
 *   sieve-max-memory       run budget: bytes (default 4M)
 *   sieve-max-redirects    redirects per message (default 4)
 *   sieve-redirects-per-day  redirects per user and day (default 100)
 *   sieve-vacation-min-period  shortest vacation period in seconds (default
 *                          86400; vacation :seconds below it is raised)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "auth_client.h"
#include "charset.h"
#include "lmtp.h"
#include "lmtp_access.h"
#include "lmtp_sieve.h"
#include "lmtp_store.h"
#include "log.h"
#include "worker.h"

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

/* A global script, compiled now (before confinement: it is a file). */
static struct sieve_program *
global_script(const struct config *c, const struct config_service *s,
    const char *key)
{
	const char *path = config_option(c, s, key);
	if (path == NULL || path[0] == '\0')
		return NULL;
	char err[400];
	struct sieve_program *p = lmtp_sieve_compile_file(path, err,
	    sizeof(err));
	if (p == NULL)
		log_fatal("%s: %s", key, err);
	return p;
}

/* A per-domain script directory, compiled now like the global ones. */
static void
domain_scripts(const struct config *c, const struct config_service *s,
    const char *key, struct lmtp_sieve_domains *out)
{
	const char *dir = config_option(c, s, key);
	if (dir == NULL || dir[0] == '\0')
		return;
	char err[400];
	if (lmtp_sieve_compile_domains(dir, out, err, sizeof(err)) < 0)
		log_fatal("%s: %s", key, err);
}

static void
load_sieve(const struct config *c, const struct config_service *s,
    const struct lmtp_opts *o, struct lmtp_sieve_conf *sc)
{
	static const struct sieve_budget dflt = SIEVE_BUDGET_DEFAULT;
	memset(sc, 0, sizeof(*sc));
	sc->dup_window = opt_size(c, s, "duplicate-window",
	    LMTP_DUP_WINDOW_DEFAULT);
	sc->sieve = opt_bool(c, s, "sieve", true);
	sc->budget = dflt;
	sc->budget.steps = (uint32_t)opt_size(c, s, "sieve-max-steps",
	    dflt.steps);
	sc->budget.memory = opt_size(c, s, "sieve-max-memory", dflt.memory);
	sc->budget.redirects = (uint32_t)opt_size(c, s, "sieve-max-redirects",
	    dflt.redirects);
	sc->redirects_per_day = (unsigned)opt_size(c, s,
	    "sieve-redirects-per-day", LMTP_REDIRECTS_PER_DAY_DEFAULT);
	sc->vacation_min = opt_size(c, s, "sieve-vacation-min-period",
	    LMTP_VACATION_MIN_DEFAULT);
	if (sc->budget.steps == 0 || sc->budget.steps > 10000000 ||
	    sc->budget.memory < 65536 || sc->budget.memory > (64u << 20) ||
	    sc->budget.redirects > 64 || sc->redirects_per_day > 100000 ||
	    sc->dup_window > 366 * 86400ull || sc->vacation_min > 366 * 86400ull)
		log_fatal("lmtpd: a sieve option is out of range");
	sc->before = global_script(c, s, "sieve-before");
	sc->after = global_script(c, s, "sieve-after");
	domain_scripts(c, s, "sieve-before-domain-dir", &sc->dom_before);
	domain_scripts(c, s, "sieve-after-domain-dir", &sc->dom_after);
	const char *dir = config_option(c, s, "sieve-global-dir");
	if (dir != NULL && dir[0] != '\0') {
		static struct lmtp_sieve_named globals[LMTP_SIEVE_GLOBALS];
		char err[400];
		int n = lmtp_sieve_compile_dir(dir, globals, err, sizeof(err));
		if (n < 0)
			log_fatal("sieve-global-dir: %s", err);
		sc->globals = globals;
		sc->nglobals = (size_t)n;
	}
	sc->hostname = o->hostname;
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
refuse_client(const struct config_service *svc, const struct worker_conn *c,
    const struct lmtp_allow *allow, const char *client,
    const struct lmtp_opts *o)
{
	const struct config_listener *l = &svc->listeners[c->listener];
	if (l->family == AF_UNIX || lmtp_allow_match(allow,
	    (const uint8_t *)&c->peer, c->peerlen))
		return false;
	log_warn("refused LMTP client %s on listener %s: not in allow-clients",
	    client[0] ? client : "(unknown)", l->name);
	int fd = c->fd;
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
addr_text(const struct sockaddr_storage *ss, char *out, size_t n)
{
	out[0] = '\0';
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    out, (socklen_t)n);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr,
		    out, (socklen_t)n);
}

int
main(int argc, char **argv)
{
	static struct config cfg;
	static struct lmtp_allow allow;
	const struct config_service *svc;
	struct worker w;
	struct lmtp_opts o;
	struct msgmeta_limits lim;
	/* start, then load */
	worker_start(&w, argc, argv, "cloister-lmtpd", ROLE_CONNECTION, &cfg,
	    &svc);
	load_options(&cfg, svc, &o, &lim);
	load_allow(&cfg, svc, &allow);
	static struct lmtp_sieve_conf sconf;
	load_sieve(&cfg, svc, &o, &sconf);
	/* iconv modules are files: load them while they can be read */
	charset_preload(NULL);
	charset_seal();
	/* the time zone and OpenSSL's digest are files too (Sieve's date
	 * tests; duplicate and vacation keys): load them now */
	tzset();
	uint8_t warm[SHA256_DIGEST_LENGTH];
	SHA256((const uint8_t *)"", 0, warm);
	/* confine; the store channels are opened in the sandbox */
	worker_confine(&w, NULL, 0);
	int sfd[CLOISTER_MAX_SHARDS];
	for (unsigned i = 0; i < w.store_shards; i++)
		sfd[i] = CLOISTER_FD_STORE(i);
	struct lmtp_store *ls = lmtp_store_open(sfd, w.store_shards, &o, &lim);
	if (ls == NULL)
		log_fatal("out of memory");
	static struct auth_client ac;
	if (w.auth) {
		if (auth_client_init(&ac, CLOISTER_FD_AUTH) < 0)
			log_fatal("out of memory");
		lmtp_store_set_auth(ls, &ac);
	}
	struct lmtp_sieve *sv = lmtp_sieve_new(&sconf);
	if (sv == NULL)
		log_fatal("out of memory");
	lmtp_store_set_sieve(ls, sv);
	struct lmtp_backend be;
	lmtp_store_backend(ls, &be);
	worker_ready();
	/* serve the one connection */
	struct worker_conn c;
	worker_take_conn(&w, &c);
	char client[INET6_ADDRSTRLEN];
	addr_text(&c.peer, client, sizeof(client));
	int rc = 0;
	if (!refuse_client(svc, &c, &allow, client, &o))
		rc = lmtp_serve(c.fd, client, &o, &be);
	close(c.fd);
	lmtp_store_close(ls);
	lmtp_sieve_free(sv);
	worker_exit(rc < 0 ? 1 : 0);
}
