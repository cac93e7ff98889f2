/*
 * cloister-keyd: the TLS private keys, apart from every process that reads
 * the network (docs/keyd.md). main reads top to bottom like every worker's
 * (common/worker.h): start -> load the keys -> confine -> ready -> serve.
 * Input is read only in keyd_serve(), after the sandbox has proved the drop.
 */
#include "keyd.h"
#include "log.h"
#include "worker.h"

#include <fcntl.h>

int
main(int argc, char **argv)
{
	static struct config cfg;
	static struct keyd_keys keys;
	static struct keyd_vapid vapid;
	static struct keyd_scram scram;
	const struct config_service *svc;
	struct worker w;
	/* start, then load */
	worker_start(&w, argc, argv, "cloister-keyd", ROLE_KEY, &cfg, &svc);
	keyd_keys_load(&cfg, svc, &keys);
	keyd_vapid_load(&cfg, svc, &vapid);
	keyd_scram_load(&cfg, &scram);
	/* a full stats channel must cost statistics, never a stalled keyd */
	if (fcntl(CLOISTER_FD_STATS, F_GETFD) >= 0 &&
	    fcntl(CLOISTER_FD_STATS, F_SETFL, O_NONBLOCK) < 0)
		log_fatal_errno("stats fd");
	/* confine: the role's fds; worker channels arrive later as CTL_PEER */
	worker_confine(&w, NULL, 0);
	worker_ready();
	keyd_serve(&keys, &vapid, &scram);
}
