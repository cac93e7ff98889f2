/*
 * cloister-authd: the SASL server. Reads top to bottom like docs/design.md's
 * table: load what it needs -> confine -> serve. Input (the control
 * channel, the worker channels) is read only in authd_serve(), after
 * policy_confine() has proved the drop.
 */
#include "ipc.h"
#include "authd.h"
#include "fds.h"
#include "log.h"
#include "policy.h"
#include "ticket.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

/* OpenSSL loads its providers on first use: do it now, while the
 * libraries and config files are reachable, not inside the chroot. */
static void
warm_up_tickets(void)
{
	uint8_t key[TICKET_KEY_LEN] = { 0 }, t[TICKET_MAX];
	size_t n;
	char user[8];
	if (ticket_mint(key, "warmup", "authd", 0, 1, t, sizeof(t), &n) < 0 ||
	    ticket_verify(key, t, n, "authd", 0, 0, user, sizeof(user)) !=
	    TICKET_OK)
		log_fatal("ticket self-test failed");
}

int
main(int argc, char **argv)
{
	/* load */
	static struct config cfg;
	const struct config_service *svc;
	struct worker_args wa;
	struct authd_options o;
	config_worker_start(argc, argv, "cloister-authd", &wa, &cfg, &svc);
	if (svc->role != ROLE_AUTH)
		log_fatal("service %s is not role auth", svc->name);
	authd_options_load(&cfg, svc, &o);
	log_set_debug(o.sasl.debug);
	authd_sasl_init(&o.sasl);
	warm_up_tickets();
	if (authd_wipe_active() && dlsym(RTLD_DEFAULT, "free") != (void *)free)
		log_fatal("free() is not authd's wiping one (authd_wipe.c)");
	/* a full stats pipe must cost statistics, never a stalled authd (the
	 * supervisor makes it non-blocking too; do not depend on it) */
	if (fcntl(CLOISTER_FD_STATS, F_GETFD) >= 0 &&
	    fcntl(CLOISTER_FD_STATS, F_SETFL, O_NONBLOCK) < 0)
		log_fatal_errno("stats fd");

	/* confine: keep the stats pipe and the control channel (the log fd
	 * is kept by the sandbox), and 0-2 (/dev/null or the supervisor's
	 * stderr) so that no stray library write can land in a db or a
	 * worker channel that took their number; worker channels arrive
	 * later as CTL_PEER */
	const int keep[] = { 0, 1, 2, CLOISTER_FD_STATS, CLOISTER_FD_CONTROL };
	policy_confine(svc->policy, &wa, keep, sizeof(keep) / sizeof(keep[0]));
	ipc_send_ready(CLOISTER_FD_CONTROL);

	/* serve */
	authd_serve(&o);
}
