/*
 * cloister-authd: the SASL server. main reads top to bottom like every
 * worker's (common/worker.h): start -> load what it needs -> confine ->
 * ready -> serve. Input (the control channel, the worker channels) is read
 * only in authd_serve(), after the sandbox has proved the drop.
 */
#include "authd.h"
#include "log.h"
#include "ticket.h"
#include "worker.h"

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
	static struct config cfg;
	const struct config_service *svc;
	struct worker w;
	struct authd_options o;
	/* start, then load */
	worker_start(&w, argc, argv, "cloister-authd", ROLE_AUTH, &cfg, &svc);
	authd_options_load(&cfg, svc, &o);
	log_set_debug(o.sasl.debug);
	authd_sasl_init(&o.sasl);
	warm_up_tickets();
	if (authd_wipe_active() && dlsym(RTLD_DEFAULT, "free") != (void *)free)
		log_fatal("free() is not authd's wiping one (authd_wipe.c)");
	/* a full stats channel must cost statistics, never a stalled authd (the
	 * supervisor makes it non-blocking too; do not depend on it) */
	if (fcntl(CLOISTER_FD_STATS, F_GETFD) >= 0 &&
	    fcntl(CLOISTER_FD_STATS, F_SETFL, O_NONBLOCK) < 0)
		log_fatal_errno("stats fd");
	/* confine: the role's fds (0-2 stay too, so that no stray library
	 * write lands in a db or a worker channel that took their number);
	 * worker channels arrive later as CTL_PEER */
	worker_confine(&w, NULL, 0);
	worker_ready();
	/* serve */
	authd_serve(&o);
}
