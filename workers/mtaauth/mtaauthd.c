/*
 * cloister-mta-authd: SMTP AUTH for an MTA (Postfix's smtpd_sasl_type =
 * dovecot) against Cloister's users. One MTA connection per process, like
 * imapd: start -> load options -> confine (policy/mta-authd.policy; the
 * drop is proved) -> ready -> take one connection (CTL_CONN) -> relay its
 * AUTH requests to authd (fd 6) -> exit. It holds no password database,
 * no store channel and opens nothing.
 *
 * Options (service block, "set NAME VALUE"; docs/postfix.md):
 *   auth yes               required: the channel to authd
 *   secured-only yes|no    plaintext mechanisms (PLAIN, LOGIN) only when
 *                          the MTA says the session is secured (TLS) or
 *                          the client is on loopback (default yes)
 *   idle-timeout           seconds without a request (default 300)
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "auth_client.h"
#include "log.h"
#include "mta_session.h"
#include "worker.h"

static void
load_options(const struct config *c, const struct config_service *s,
    struct mta_opts *o)
{
	char err[CONFIG_ERR_MAX];
	bool b;
	if (config_option_bool(c, s, "secured-only", true, &b, err,
	    sizeof(err)) < 0)
		log_fatal("%s", err);
	o->secured_only = b;
	o->idle_ms = (int)config_option_range(c, s, "idle-timeout", 300, 1,
	    3600) * 1000;
}

int
main(int argc, char **argv)
{
	static struct config cfg;
	const struct config_service *svc;
	struct worker w;
	struct mta_opts o = { 0 };
	/* start, then load */
	worker_start(&w, argc, argv, "cloister-mta-authd", ROLE_CONNECTION,
	    &cfg, &svc);
	if (!w.auth)
		log_fatal("service %s: 'set auth yes' is required", w.service);
	load_options(&cfg, svc, &o);
	o.cuid = (unsigned long)w.args.instance;
	signal(SIGPIPE, SIG_IGN);
	/* confine; then drop what the role hands every connection worker and
	 * this one never uses: the store channels (and keyd's) */
	worker_confine(&w, NULL, 0);
	for (unsigned i = 0; i < w.store_shards; i++)
		close(CLOISTER_FD_STORE((int)i));
	if (w.keyd)
		close(CLOISTER_FD_KEYD);
	worker_ready();
	/* serve the one connection */
	struct worker_conn c;
	worker_take_conn(&w, &c);
	struct auth_client ac;
	if (auth_client_init(&ac, CLOISTER_FD_AUTH) < 0)
		log_fatal("out of memory");
	int rc = mta_serve(c.fd, &ac, &o);
	close(c.fd);
	auth_client_close(&ac);
	worker_exit(rc < 0 ? 1 : 0);
}
