/*
 * cloister-jmapd: one JMAP (RFC 8620/8621) client connection per process.
 *
 * main reads top to bottom like every worker's (common/worker.h): start ->
 * load (options, certificate chains) -> confine (policy/jmapd.policy; the
 * role's fds only: no filesystem, no socket()) -> ready -> take the one
 * connection the supervisor hands over (CTL_CONN) -> serve it -> exit.
 */
#include "jmap_http.h"
#include "jmap_pushsub.h"
#include "log.h"
#include "conn_addr.h"
#include "tls.h"
#include "tls_worker.h"
#include "worker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct config *cfg;
static struct jmapd_options opt;
static enum config_tls listener_tls[CONFIG_MAX_LISTENERS];
static bool loopback_plaintext;

static unsigned
seconds_opt(const struct config_service *svc, const char *key, unsigned dflt,
    unsigned min)
{
	return (unsigned)config_option_range(cfg, svc, key, dflt, min, 86400);
}

static size_t
size_opt(const struct config_service *svc, const char *key, size_t dflt)
{
	return (size_t)config_option_range(cfg, svc, key, dflt, 1024, 1u << 30);
}

/* EmailSubmission: the longest hold a client may ask for (0: no delayed
 * send) and the undo window every submission waits (0: none). */
static void
submission_opts(const struct config_service *svc, struct jmap_limits *l)
{
	l->max_delayed_send = config_option_range(cfg, svc, "max-delayed-send",
	    JMAP_MAX_DELAYED_SEND, 0, 366u * 86400);
	l->undo_send_seconds = config_option_range(cfg, svc, "undo-send-seconds",
	    0, 0, 3600);
}

/* "cors-origins https://a.example https://b.example": exact origins. */
static void
parse_cors(const char *list)
{
	char tmp[CONFIG_VALUE_MAX];
	if (list == NULL)
		return;
	if (buf_strlcpy(tmp, sizeof(tmp), list, strlen(list)) < 0)
		log_fatal("cors-origins: list too long");
	char *save = NULL;
	for (char *w = strtok_r(tmp, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save)) {
		if (opt.ncors >= JMAP_CORS_MAX)
			log_fatal("cors-origins: more than %d", JMAP_CORS_MAX);
		if ((strncmp(w, "https://", 8) != 0 &&
		    strncmp(w, "http://", 7) != 0) || strchr(w + 8, '/') != NULL)
			log_fatal("cors-origins: '%s' is not an origin"
			    " (scheme://host[:port])", w);
		if (buf_strlcpy(opt.cors[opt.ncors], JMAP_ORIGIN_MAX, w,
		    strlen(w)) < 0)
			log_fatal("cors-origins: '%s' too long", w);
		opt.ncors++;
	}
}

/* The Sieve quota stored enforces (its sieve-max-scripts and
 * sieve-max-script-size), for the sieve capability to tell clients. */
static void
sieve_quota(struct jmap_limits *l)
{
	const struct config_service *st = NULL;
	uint64_t v;
	for (size_t i = 0; i < cfg->nservices && st == NULL; i++)
		if (cfg->services[i].role == ROLE_STORE)
			st = &cfg->services[i];
	if (st == NULL)
		return;
	if (config_option_size(cfg, st, "sieve-max-scripts",
	    l->sieve_max_scripts, &v, NULL, 0) == 0 && v <= UINT32_MAX)
		l->sieve_max_scripts = (unsigned)v;
	if (config_option_size(cfg, st, "sieve-max-script-size",
	    l->sieve_max_script_size, &v, NULL, 0) == 0 && v <= SIZE_MAX)
		l->sieve_max_script_size = (size_t)v;
}

/* Copy the options out of tw's config (freed when it confines). */
static void
load_options(const struct tls_worker *tw)
{
	const struct config_service *svc = tw->svc;
	const struct worker *w = &tw->w;
	char err[CONFIG_ERR_MAX];
	cfg = tw->cfg;
	if (config_option_bool(cfg, svc, "loopback-plaintext-auth", true,
	    &loopback_plaintext, err, sizeof(err)) < 0)
		log_fatal("%s", err);
	for (size_t i = 0; i < svc->nlisteners; i++) {
		listener_tls[i] = svc->listeners[i].tls;
		if (listener_tls[i] == TLS_STARTTLS)
			log_fatal("listener %s: HTTP has no STARTTLS; use tls"
			    " (or plain on loopback)", svc->listeners[i].name);
	}
	opt.prelogin_timeout_s = svc->prelogin_timeout ? svc->prelogin_timeout :
	    60;
	opt.idle_timeout_s = seconds_opt(svc, "idle-timeout", 300, 10);
	opt.request_timeout_s = seconds_opt(svc, "request-timeout", 60, 5);
	jmap_limits_default(&opt.limits);
	opt.limits.max_size_request = size_opt(svc, "max-size-request",
	    opt.limits.max_size_request);
	opt.limits.max_size_upload = size_opt(svc, "max-size-upload",
	    opt.limits.max_size_upload);
	sieve_quota(&opt.limits);
	submission_opts(svc, &opt.limits);
	parse_cors(config_option(cfg, svc, "cors-origins"));
	bool push_loopback;
	if (config_option_bool(cfg, svc, "push-allow-loopback", false,
	    &push_loopback, err, sizeof(err)) < 0)
		log_fatal("%s", err);
	jmap_pushsub_allow_loopback(push_loopback);
	const char *dom = config_option(cfg, svc, "default-domain");
	if (dom != NULL && (buf_strlcpy(opt.domain, sizeof(opt.domain), dom,
	    strlen(dom)) < 0 || strpbrk(dom, " \t<>@()[],;:\\\"") != NULL))
		log_fatal("default-domain: one domain name");
	const char *base = config_option(cfg, svc, "base-url");
	if (base != NULL && (buf_strlcpy(opt.base_url, sizeof(opt.base_url),
	    base, strlen(base)) < 0 || strncmp(base, "http", 4) != 0 ||
	    base[strlen(base) - 1] == '/'))
		log_fatal("base-url: scheme://host[:port], no trailing slash");
	opt.store_shards = w->store_shards;
	opt.auth_fd = w->auth ? CLOISTER_FD_AUTH : -1;
	for (size_t i = 0; i < CLOISTER_MAX_SHARDS; i++)
		opt.store_fd[i] = i < opt.store_shards ?
		    CLOISTER_FD_STORE((int)i) : -1;
	opt.tls = tls_worker_load_tls(tw, "jmapd");
	cfg = NULL;
}

/* The listener decides TLS; passwords in clear only where they cannot
 * leave the machine (a plain listener, both ends on loopback). */
static void
apply_listener(const struct worker_conn *c)
{
	enum config_tls t = listener_tls[c->listener];
	opt.tls_listener = t != TLS_PLAIN;
	if (opt.tls_listener && opt.tls == NULL)
		log_fatal("TLS listener without a certificate");
	opt.plaintext_auth = loopback_plaintext && t == TLS_PLAIN &&
	    conn_addr_loopback(&c->peer) && conn_addr_loopback(&c->local);
}

int
main(int argc, char **argv)
{
	struct tls_worker tw;
	tls_worker_start(&tw, argc, argv, "cloister-jmapd");
	load_options(&tw);
	/* jansson seeds its hash function from /dev/urandom on first use:
	 * now, while files can still be opened (no open once confined) */
	json_object_seed(0);
	/* body values in any charset: every converter of the default list */
	tls_worker_confine(&tw, NULL);
	struct worker_conn c;
	tls_worker_take_conn(&tw, &c);
	apply_listener(&c);
	jmap_http_run(&opt, c.fd);
	worker_exit(0);
}
