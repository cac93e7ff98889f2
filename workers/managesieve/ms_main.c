/*
 * cloister-managesieved: one ManageSieve (RFC 5804) client per process.
 *
 * main reads top to bottom like every worker's (common/worker.h): start ->
 * load (options, certificate chains) -> confine (policy/managesieved.policy;
 * the role's fds only) -> ready -> take the one connection the supervisor
 * hands over (CTL_CONN) -> serve it -> exit.
 */
#include "log.h"
#include "ms_session.h"
#include "sieve.h"
#include "tls_worker.h"
#include "worker.h"

#include <limits.h>
#include <string.h>

static struct config *cfg;
static struct ms_options opt;
static bool loopback_plaintext;

static void
load_options(const struct config_service *svc, const struct worker *w)
{
	char err[CONFIG_ERR_MAX];
	if (config_option_bool(cfg, svc, "loopback-plaintext-auth", true,
	    &loopback_plaintext, err, sizeof(err)) < 0)
		log_fatal("%s", err);
	opt.max_script_size = config_option_range(cfg, svc, "max-script-size",
	    64 * 1024, 1024, SIEVE_MAX_SCRIPT);
	opt.max_relogins = (unsigned)config_option_range(cfg, svc,
	    "max-relogins", 0, 0, 64);
	opt.prelogin_timeout_s = svc->prelogin_timeout ? svc->prelogin_timeout :
	    60;
	opt.idle_timeout_s = (unsigned)config_option_range(cfg, svc,
	    "idle-timeout", 1800, 10, UINT_MAX);
	const char *name = config_option(cfg, svc, "server-name");
	if (name == NULL)
		name = "Cloister";
	if (buf_strlcpy(opt.server_name, sizeof(opt.server_name), name,
	    strlen(name)) < 0)
		log_fatal("server-name too long");
	worker_login_fds_init(&opt.login, w->store_shards);
}

int
main(int argc, char **argv)
{
	struct tls_worker tw;
	tls_worker_start(&tw, argc, argv, "cloister-managesieved");
	cfg = tw.cfg;
	load_options(tw.svc, &tw.w);
	opt.tls = tls_worker_load_tls(&tw, "managesieved");
	cfg = NULL;
	static const char *const no_charsets[] = { NULL };   /* scripts are UTF-8 */
	tls_worker_confine(&tw, no_charsets);
	struct worker_conn c;
	tls_worker_take_conn(&tw, &c);
	/* the listener decides TLS and whether passwords may cross in clear */
	opt.tls_mode = (int)tls_worker_listener(&tw, &c, opt.tls,
	    loopback_plaintext, &opt.plaintext_auth);
	ms_session_run(&opt, c.fd, &c.peer, c.peerlen);
	worker_exit(0);
}
